namespace Shadow.Kubernetes.Simulation;

/// <summary>An error the simulated API server answers as a Kubernetes <c>Status</c> object (404 NotFound, 409 AlreadyExists, ...).</summary>
public sealed class ApiException(int code, string reason, string message) : Exception(message)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;
}

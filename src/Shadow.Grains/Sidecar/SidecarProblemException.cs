using System.Net;
using Shadow.Sidecar.Contracts.Common;

namespace Shadow.Grains.Sidecar;

/// <summary>The sidecar answered with an error; <see cref="Problem"/> is its problem+json body.</summary>
public sealed class SidecarProblemException(HttpStatusCode statusCode, ProblemResponse problem)
    : Exception($"Sidecar answered {(int)statusCode} {problem.Title}: {problem.Detail}")
{
    /// <summary>The HTTP status of the answer.</summary>
    public HttpStatusCode StatusCode { get; } = statusCode;

    /// <summary>The problem document (or one made from the status line when the body was not one).</summary>
    public ProblemResponse Problem { get; } = problem;

    /// <summary>Whether the same call may succeed later (408, 429, 5xx): worth retrying, by the client or the caller.</summary>
    public bool IsTransient => SidecarResilience.IsTransient(StatusCode);
}

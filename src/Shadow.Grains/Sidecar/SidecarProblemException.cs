using System.Net;
using Shadow.Sidecar.Contracts.Common;

namespace Shadow.Grains.Sidecar;

/// <summary>The sidecar answered with an error; <see cref="Problem"/> is its problem+json body.</summary>
public sealed class SidecarProblemException(HttpStatusCode statusCode, ProblemResponse problem)
    : Exception($"Sidecar answered {(int)statusCode} {problem.Title}: {problem.Detail}")
{
    public HttpStatusCode StatusCode { get; } = statusCode;

    public ProblemResponse Problem { get; } = problem;
}

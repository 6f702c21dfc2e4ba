using Shouldly;

namespace Shadow.Deploy.Tests;

/// <summary>The images' Dockerfiles (no container engine runs here to build them: these check their shape).</summary>
public sealed class DockerfileTests
{
    [Theory]
    [InlineData("src/Shadow.Silo/Dockerfile", "Shadow.Silo.csproj")]
    [InlineData("src/Shadow.Gateway/Dockerfile", "Shadow.Gateway.csproj")]
    [InlineData("src/Shadow.Sidecar/Dockerfile", "Shadow.Sidecar.csproj")]
    public void Dockerfile_IsMultiStage_PublishesItsProject_AndRunsAsANonRootUser(string path, string project)
    {
        var lines = File.ReadAllLines(Path.Combine(Helm.RepositoryRoot, path)).Select(l => l.Trim()).ToList();

        lines.Count(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ShouldBeGreaterThanOrEqualTo(2);
        lines.ShouldContain(l => l.Contains("dotnet publish", StringComparison.Ordinal) && l.Contains(project, StringComparison.Ordinal));
        lines.ShouldContain(l => l.StartsWith("COPY --from=build", StringComparison.Ordinal));
        var user = lines.Last(l => l.StartsWith("USER ", StringComparison.Ordinal))["USER ".Length..];
        int.Parse(user, System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(0);
    }

    [Fact]
    public void SidecarImage_IsNativeAot_OnASmallBase()
    {
        var text = File.ReadAllText(Path.Combine(Helm.RepositoryRoot, "src/Shadow.Sidecar/Dockerfile"));
        var csproj = File.ReadAllText(Path.Combine(Helm.RepositoryRoot, "src/Shadow.Sidecar/Shadow.Sidecar.csproj"));

        csproj.ShouldContain("<PublishAot>true</PublishAot>");
        text.ShouldContain("-r linux-x64");
        text.ShouldContain("FROM mcr.microsoft.com/dotnet/runtime-deps:");
        text.ShouldNotContain("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS final");
    }
}

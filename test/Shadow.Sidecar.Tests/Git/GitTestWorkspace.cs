using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Shadow.Sidecar.Contracts;
using Shadow.Sidecar.Contracts.Common;
using Shadow.Sidecar.Contracts.Git;
using Shadow.Testing;
using Shouldly;

namespace Shadow.Sidecar.Tests.Git;

/// <summary>A bare remote on disk, an empty workspace and a real sidecar serving it; optionally cloned and configured.</summary>
internal sealed class GitTestWorkspace : IAsyncDisposable
{
    private readonly TempSidecar _sidecar;

    private GitTestWorkspace(TempSidecar sidecar, string remote)
    {
        _sidecar = sidecar;
        Remote = remote;
    }

    public TempDirectory Dir => _sidecar.Root;

    public string Remote { get; }

    public string Workspace => _sidecar.Workspace;

    public SidecarProcess Sidecar => _sidecar.Process;

    public HttpClient Http => _sidecar.Http;

    public static readonly Dictionary<string, string> SeedFiles = new()
    {
        ["README.md"] = "# demo\n",
        ["src/app.txt"] = "line one\nline two\n",
        ["src/old.txt"] = "old content\n",
    };

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task<GitTestWorkspace> StartAsync(bool clone = true, bool configure = true, params string[] extraArgs)
    {
        var remote = string.Empty;
        var sidecar = await TempSidecar.StartAsync("shadow-git", (root, _) => remote = GitRepos.CreateBareRemote(root.Combine("remote.git"), SeedFiles), Ct, extraArgs);
        var ws = new GitTestWorkspace(sidecar, remote);
        if (clone)
        {
            await ws.PostAsync<GitCloneResponse>(SidecarRoutes.Git.Clone, new GitCloneRequest(remote));
            if (configure)
            {
                await ws.PostAsync<GitConfigResponse>(SidecarRoutes.Git.Config, new GitConfigRequest("Agent Smith", "agent@shadow.dev"));
            }
        }

        return ws;
    }

    public string PathOf(string relative) => Path.Combine(Workspace, relative);

    public void Write(string relative, string content)
    {
        var full = PathOf(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, content);
    }

    public async Task<T> PostAsync<T>(string route, object body)
    {
        using var response = await Http.PostAsync(route, JsonContent.Create(body, body.GetType(), options: SidecarJson.Options), Ct);
        return await ReadAsync<T>(response);
    }

    public async Task<T> GetAsync<T>(string route)
    {
        using var response = await Http.GetAsync(route, Ct);
        return await ReadAsync<T>(response);
    }

    public async Task<CheckedProblem> PostProblemAsync(string route, object body, HttpStatusCode expected)
    {
        using var response = await Http.PostAsync(route, JsonContent.Create(body, body.GetType(), options: SidecarJson.Options), Ct);
        return await ReadProblemAsync(response, expected);
    }

    public async Task<CheckedProblem> PostRawProblemAsync(string route, string json, HttpStatusCode expected)
    {
        using var response = await Http.PostAsync(route, new StringContent(json, System.Text.Encoding.UTF8, "application/json"), Ct);
        return await ReadProblemAsync(response, expected);
    }

    public async Task<CheckedProblem> GetProblemAsync(string route, HttpStatusCode expected)
    {
        using var response = await Http.GetAsync(route, Ct);
        return await ReadProblemAsync(response, expected);
    }

    public static async Task<CheckedProblem> ReadProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        response.StatusCode.ShouldBe(expected, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered: {text}");
        response.Content.Headers.ContentType?.MediaType.ShouldBe("application/problem+json");
        var problem = JsonSerializer.Deserialize<ProblemResponse>(text, SidecarJson.Options)!;
        problem.Detail.ShouldNotBeNullOrWhiteSpace();
        problem.Status.ShouldBe((int)expected);
        return new CheckedProblem(problem.Detail!, problem.Status!.Value);
    }

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(Ct);
        response.IsSuccessStatusCode.ShouldBeTrue($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode}: {text}");
        return JsonSerializer.Deserialize<T>(text, SidecarJson.Options)!;
    }

    public ValueTask DisposeAsync() => _sidecar.DisposeAsync();
}

/// <summary>A problem document whose detail was checked to be present.</summary>
internal sealed record CheckedProblem(string Detail, int Status);

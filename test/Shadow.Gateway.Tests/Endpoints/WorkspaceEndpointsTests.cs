using System.Net;
using System.Net.Http.Json;

namespace Shadow.Gateway.Tests.Endpoints;

[Collection(FakeGatewayCollection.Name)]
public sealed class WorkspaceEndpointsTests(FakeGateway gateway)
{
    private readonly HttpClient _alice = gateway.CreateClient(GatewayFactory.AliceKey);

    private async Task<string> NewTaskAsync() => (await _alice.CreateTaskAsync())["id"]!.GetValue<string>();

    [Fact]
    public async Task WriteThenRead_RoundTripsThroughTheGrain()
    {
        var ws = $"/api/tasks/{await NewTaskAsync()}/workspace";

        using var write = await _alice.PostAsJsonAsync($"{ws}/files/write", new { path = "src/a.txt", content = "hello" }, Http.Ct);
        write.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await write.ReadObjectAsync())["created"]!.GetValue<bool>().ShouldBeTrue();

        using var read = await _alice.GetAsync($"{ws}/files/read?path=src/a.txt&offset=0&limit=10", Http.Ct);
        read.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await read.ReadObjectAsync())["content"]!.GetValue<string>().ShouldBe("hello");
    }

    [Fact]
    public async Task Read_Missing_404WithTheSidecarsDetail()
    {
        var ws = $"/api/tasks/{await NewTaskAsync()}/workspace";

        using var response = await _alice.GetAsync($"{ws}/files/read?path=nope.txt", Http.Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.NotFound))["detail"]!.GetValue<string>().ShouldBe("'nope.txt' does not exist.");
    }

    [Fact]
    public async Task Read_NoPath_400Problem()
    {
        var ws = $"/api/tasks/{await NewTaskAsync()}/workspace";

        using var response = await _alice.GetAsync($"{ws}/files/read", Http.Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest))["detail"]!.GetValue<string>().ShouldContain("path");
    }

    [Fact]
    public async Task Read_BadOffset_400ProblemNamingIt()
    {
        var ws = $"/api/tasks/{await NewTaskAsync()}/workspace";

        using var response = await _alice.GetAsync($"{ws}/files/read?path=a&offset=ten", Http.Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest))["detail"]!.GetValue<string>().ShouldContain("offset");
    }

    [Fact]
    public async Task Write_MissingRequiredMember_400Problem()
    {
        var ws = $"/api/tasks/{await NewTaskAsync()}/workspace";

        using var response = await _alice.PostAsync($"{ws}/files/write", Http.Json("""{"path":"a.txt"}"""), Http.Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest))["detail"]!.GetValue<string>().ShouldContain("content");
    }

    [Fact]
    public async Task WorkspaceUnavailable_503WithRetryAfter()
    {
        var ws = $"/api/tasks/{await NewTaskAsync()}/workspace";

        using var response = await _alice.GetAsync($"{ws}/files/stats?path=unavailable", Http.Ct);

        await response.ShouldBeProblemAsync(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter.ShouldNotBeNull();
    }

    [Fact]
    public async Task SearchReplace_NoMatch_409WithDetail()
    {
        var ws = $"/api/tasks/{await NewTaskAsync()}/workspace";

        using var response = await _alice.PostAsJsonAsync($"{ws}/files/search-replace", new { path = "a", oldString = "x", newString = "y" }, Http.Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.Conflict))["detail"]!.GetValue<string>().ShouldContain("exactly once");
    }

    [Fact]
    public async Task Exec_AnswersTheGrainsResult()
    {
        var ws = $"/api/tasks/{await NewTaskAsync()}/workspace";

        using var response = await _alice.PostAsJsonAsync($"{ws}/exec", new { command = "echo hi" }, Http.Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var result = await response.ReadObjectAsync();
        result["exitCode"]!.GetValue<int>().ShouldBe(0);
        result["stdout"]!.GetValue<string>().ShouldBe("echo hi\n");
    }

    [Fact]
    public async Task ExecStream_EventsNamedAsTheSidecarNamesThem()
    {
        var ws = $"/api/tasks/{await NewTaskAsync()}/workspace";
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{ws}/exec/stream") { Content = Http.Json("""{"command":"echo hi"}""") };

        var events = await _alice.ReadEventsAsync(request, 3);

        events.Select(e => e.Event).ShouldBe(["start", "stdout", "exit"]);
        events[0].Data.ShouldContain("\"pid\":42");
        events[1].Id.ShouldBe("7");
        events[1].Data.ShouldContain("\"stream\":\"stdout\"");
        events[2].Data.ShouldContain("\"exitCode\":0");
    }

    [Fact]
    public async Task ExecStream_ArchivedTask_409ProblemNotAStream()
    {
        var id = await NewTaskAsync();
        (await _alice.PostAsync($"/api/tasks/{id}/archive", null, Http.Ct)).Dispose();

        using var response = await _alice.PostAsync($"/api/tasks/{id}/workspace/exec/stream", Http.Json("""{"command":"echo hi"}"""), Http.Ct);

        await response.ShouldBeProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Diff_BaseQuery_PassedToTheGrain()
    {
        var id = await NewTaskAsync();

        using var response = await _alice.GetAsync($"/api/tasks/{id}/diff?base=dev", Http.Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.ReadObjectAsync())["base"]!.GetValue<string>().ShouldBe("dev");
    }

    [Theory]
    [InlineData("GET", "files/list?path=")]
    [InlineData("GET", "files/list-recursive?maxEntries=10")]
    [InlineData("GET", "files/stats?path=a")]
    [InlineData("GET", "search/files?query=a&limit=5")]
    [InlineData("POST", "search/grep", """{"pattern":"x"}""")]
    [InlineData("POST", "exec/background", """{"command":"sleep 1"}""")]
    [InlineData("GET", "exec/background")]
    [InlineData("GET", "git/status")]
    public async Task ToolRoutes_ReachTheGrain_200(string method, string route, string? body = null)
    {
        var ws = $"/api/tasks/{await NewTaskAsync()}/workspace";
        using var request = new HttpRequestMessage(new HttpMethod(method), $"{ws}/{route}") { Content = body is null ? null : Http.Json(body) };

        using var response = await _alice.SendAsync(request, Http.Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK, await response.Content.ReadAsStringAsync(Http.Ct));
    }

    [Theory]
    [InlineData("GET", "exec/background/b9/output?since=0&limit=5")]
    [InlineData("POST", "exec/background/b9/kill")]
    [InlineData("POST", "files/delete", """{"path":"missing.txt"}""")]
    public async Task ToolRoutes_GrainRefuses_ProblemWithItsStatus(string method, string route, string? body = null)
    {
        var ws = $"/api/tasks/{await NewTaskAsync()}/workspace";
        using var request = new HttpRequestMessage(new HttpMethod(method), $"{ws}/{route}") { Content = body is null ? null : Http.Json(body) };

        using var response = await _alice.SendAsync(request, Http.Ct);

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }
}

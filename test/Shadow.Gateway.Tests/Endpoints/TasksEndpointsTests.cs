using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;

namespace Shadow.Gateway.Tests.Endpoints;

[Collection(FakeGatewayCollection.Name)]
public sealed partial class TasksEndpointsTests(FakeGateway gateway)
{
    private readonly HttpClient _alice = gateway.CreateClient(GatewayFactory.AliceKey);
    private readonly HttpClient _bob = gateway.CreateClient(GatewayFactory.BobKey);

    [Fact]
    public async Task Create_Valid_201WithLocationAndTaskBody()
    {
        using var response = await _alice.PostAsJsonAsync("/api/tasks",
            new { repoUrl = "https://example.com/repo.git", baseBranch = "main", prompt = "fix it", title = "Fix" }, Http.Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.Created);
        var task = await response.ReadObjectAsync();
        var id = task["id"]!.GetValue<string>();
        IdPattern().IsMatch(id).ShouldBeTrue(id);
        response.Headers.Location!.ToString().ShouldBe($"/api/tasks/{id}");
        task["status"]!.GetValue<string>().ShouldBe("initializing");
        task["branch"]!.GetValue<string>().ShouldBe($"shadow/task-{id}");
        task["baseBranch"]!.GetValue<string>().ShouldBe("main");
        task["title"]!.GetValue<string>().ShouldBe("Fix");
        task["messageCount"]!.GetValue<int>().ShouldBe(1);
        var step = task["initSteps"]![0]!;
        step["step"]!.GetValue<string>().ShouldBe("prepareWorkspace");
        step["status"]!.GetValue<string>().ShouldBe("pending");
        step.AsObject().ShouldContainKey("attempts");
        task.ShouldContainKey("createdAt");
        task.ShouldContainKey("updatedAt");
        task.ShouldContainKey("error");
    }

    [Fact]
    public async Task Create_TwoTasks_DistinctIds()
    {
        var first = await _alice.CreateTaskAsync();
        var second = await _alice.CreateTaskAsync();

        first["id"]!.GetValue<string>().ShouldNotBe(second["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Get_OwnTask_LowerCaseStatus()
    {
        var id = (await _alice.CreateTaskAsync())["id"]!.GetValue<string>();

        using var response = await _alice.GetAsync($"/api/tasks/{id}", Http.Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.ReadObjectAsync())["status"]!.GetValue<string>().ShouldBe("idle");
    }

    [Fact]
    public async Task List_TwoUsers_EachSeesOnlyTheirOwn()
    {
        var mine = (await _alice.CreateTaskAsync())["id"]!.GetValue<string>();
        var theirs = (await _bob.CreateTaskAsync())["id"]!.GetValue<string>();

        using var response = await _alice.GetAsync("/api/tasks", Http.Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var ids = (await response.ReadArrayAsync()).Select(t => t!["id"]!.GetValue<string>()).ToList();
        ids.ShouldContain(mine);
        ids.ShouldNotContain(theirs);
        ids[0].ShouldBe(mine, "newest first");
    }

    [Theory]
    [InlineData("")]
    [InlineData("/archive")]
    [InlineData("/messages")]
    [InlineData("/terminal/history")]
    [InlineData("/changes/history")]
    [InlineData("/workspace/git/status")]
    [InlineData("/diff")]
    public async Task AnotherUsersTask_404LikeAnUnknownOne(string suffix)
    {
        var id = (await _bob.CreateTaskAsync())["id"]!.GetValue<string>();
        var method = suffix == "/archive" ? HttpMethod.Post : HttpMethod.Get;

        using var theirs = await _alice.SendAsync(new HttpRequestMessage(method, $"/api/tasks/{id}{suffix}"), Http.Ct);
        using var unknown = await _alice.SendAsync(new HttpRequestMessage(method, $"/api/tasks/zzzzzzzzzzzz{suffix}"), Http.Ct);

        var theirsProblem = await theirs.ShouldBeProblemAsync(HttpStatusCode.NotFound);
        var unknownProblem = await unknown.ShouldBeProblemAsync(HttpStatusCode.NotFound);
        theirsProblem["title"]!.GetValue<string>().ShouldBe(unknownProblem["title"]!.GetValue<string>());
    }

    [Fact]
    public async Task Get_UnknownId_404Problem()
    {
        using var response = await _alice.GetAsync("/api/tasks/abcdefghijkl", Http.Ct);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.NotFound);
        problem["detail"]!.GetValue<string>().ShouldContain("abcdefghijkl");
    }

    [Theory]
    [InlineData("ABCDEFGHIJKL")]
    [InlineData("short")]
    [InlineData("abcdefghijklm")]
    [InlineData("abc-efghijkl")]
    [InlineData("abcdefghijk1")]
    public async Task Get_MalformedId_404Problem(string id)
    {
        using var response = await _alice.GetAsync($"/api/tasks/{id}", Http.Ct);

        await response.ShouldBeProblemAsync(HttpStatusCode.NotFound);
    }

    [Theory]
    [InlineData("""{"prompt":"p"}""", "repoUrl")]
    [InlineData("""{"repoUrl":"  ","prompt":"p"}""", "repoUrl")]
    [InlineData("""{"repoUrl":"ftp://example.com/r.git","prompt":"p"}""", "repoUrl")]
    [InlineData("""{"repoUrl":"relative/path","prompt":"p"}""", "repoUrl")]
    [InlineData("""{"repoUrl":"https://example.com/r.git"}""", "prompt")]
    [InlineData("""{"repoUrl":"https://example.com/r.git","prompt":""}""", "prompt")]
    [InlineData("""{"repoUrl":"https://example.com/r.git","prompt":"p","baseBranch":"a..b"}""", "baseBranch")]
    [InlineData("""{"repoUrl":"https://example.com/r.git","prompt":"p","baseBranch":"has space"}""", "baseBranch")]
    [InlineData("""{"repoUrl":"https://example.com/r.git","prompt":"p","baseBranch":"x.lock"}""", "baseBranch")]
    [InlineData("""{"repoUrl":"https://example.com/r.git","prompt":"p","model":""}""", "model")]
    public async Task Create_BadField_400NamingTheField(string body, string field)
    {
        using var response = await _alice.PostAsync("/api/tasks", Http.Json(body), Http.Ct);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem["errors"]!.AsObject().ShouldContainKey(field);
    }

    [Fact]
    public async Task Create_LongFields_400NamingEachField()
    {
        var body = new { repoUrl = "https://example.com/" + new string('r', 2048), prompt = new string('p', 100 * 1024 + 1), title = new string('t', 201) };

        using var response = await _alice.PostAsJsonAsync("/api/tasks", body, Http.Ct);

        var errors = (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest))["errors"]!.AsObject();
        errors.ShouldContainKey("repoUrl");
        errors.ShouldContainKey("prompt");
        errors.ShouldContainKey("title");
    }

    [Theory]
    [InlineData("git@github.com:org/repo.git")]
    [InlineData("ssh://git@example.com/repo.git")]
    [InlineData("git://example.com/repo.git")]
    [InlineData("file:///srv/git/repo.git")]
    [InlineData("/srv/git/repo.git")]
    public async Task Create_AcceptedRepoLocations_201(string repoUrl)
    {
        await _alice.CreateTaskAsync(repoUrl);
    }

    [Fact]
    public async Task Create_MalformedJson_400WithDetail()
    {
        using var response = await _alice.PostAsync("/api/tasks", Http.Json("""{"repoUrl": "x", """), Http.Ct);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem["detail"]!.GetValue<string>().ShouldContain("JSON", Case.Insensitive);
    }

    [Fact]
    public async Task Create_WrongJsonType_400WithDetail()
    {
        using var response = await _alice.PostAsync("/api/tasks", Http.Json("""{"repoUrl": 42, "prompt": "p"}"""), Http.Ct);

        var problem = await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
        problem["detail"]!.GetValue<string>().ShouldContain("repoUrl");
    }

    [Fact]
    public async Task Create_WrongContentType_415Problem()
    {
        using var content = new StringContent("""{"repoUrl":"https://example.com/r.git","prompt":"p"}""", Encoding.UTF8, "text/plain");

        using var response = await _alice.PostAsync("/api/tasks", content, Http.Ct);

        await response.ShouldBeProblemAsync(HttpStatusCode.UnsupportedMediaType);
    }

    [Fact]
    public async Task Create_OversizedBody_413Problem()
    {
        var body = new { repoUrl = "https://example.com/r.git", prompt = new string('p', 2 * 1024 * 1024) };

        using var response = await _alice.PostAsJsonAsync("/api/tasks", body, Http.Ct);

        await response.ShouldBeProblemAsync(HttpStatusCode.RequestEntityTooLarge);
    }

    [Fact]
    public async Task Archive_ThenWorkspaceCallAndFollowUp_409Problem()
    {
        var id = (await _alice.CreateTaskAsync())["id"]!.GetValue<string>();

        using var archived = await _alice.PostAsync($"/api/tasks/{id}/archive", null, Http.Ct);
        archived.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await archived.ReadObjectAsync())["status"]!.GetValue<string>().ShouldBe("archived");

        using var read = await _alice.GetAsync($"/api/tasks/{id}/workspace/files/read?path=a.txt", Http.Ct);
        (await read.ShouldBeProblemAsync(HttpStatusCode.Conflict))["detail"]!.GetValue<string>().ShouldContain("archived");
        using var message = await _alice.PostAsJsonAsync($"/api/tasks/{id}/messages", new { content = "more" }, Http.Ct);
        await message.ShouldBeProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Retry_InitNotFailed_409Problem()
    {
        var id = (await _alice.CreateTaskAsync())["id"]!.GetValue<string>();

        using var response = await _alice.PostAsync($"/api/tasks/{id}/retry", null, Http.Ct);

        await response.ShouldBeProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Retry_InitFailed_Initializing()
    {
        var id = (await _alice.CreateTaskAsync("https://example.com/fail"))["id"]!.GetValue<string>();
        using var failed = await _alice.GetAsync($"/api/tasks/{id}", Http.Ct);
        var task = await failed.ReadObjectAsync();
        task["status"]!.GetValue<string>().ShouldBe("failed");
        task["error"]!.GetValue<string>().ShouldBe("clone failed");
        task["initSteps"]![0]!["status"]!.GetValue<string>().ShouldBe("failed");

        using var response = await _alice.PostAsync($"/api/tasks/{id}/retry", null, Http.Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.ReadObjectAsync())["status"]!.GetValue<string>().ShouldBe("initializing");
    }

    [Fact]
    public async Task Messages_PromptThenFollowUp_202AndHistory()
    {
        var id = (await _alice.CreateTaskAsync(prompt: "first"))["id"]!.GetValue<string>();

        using var posted = await _alice.PostAsJsonAsync($"/api/tasks/{id}/messages", new { content = "second" }, Http.Ct);
        posted.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var message = await posted.ReadObjectAsync();
        message["content"]!.GetValue<string>().ShouldBe("second");
        message["role"]!.GetValue<string>().ShouldBe("user");

        using var history = await _alice.GetAsync($"/api/tasks/{id}/messages", Http.Ct);
        var contents = (await history.ReadArrayAsync()).Select(m => m!["content"]!.GetValue<string>()).ToList();
        contents.ShouldBe(["first", "second"]);
    }

    [Fact]
    public async Task Messages_EmptyContent_400NamingContent()
    {
        var id = (await _alice.CreateTaskAsync())["id"]!.GetValue<string>();

        using var response = await _alice.PostAsJsonAsync($"/api/tasks/{id}/messages", new { content = " " }, Http.Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest))["errors"]!.AsObject().ShouldContainKey("content");
    }

    [GeneratedRegex("^[a-z2-7]{12}$")]
    private static partial Regex IdPattern();
}

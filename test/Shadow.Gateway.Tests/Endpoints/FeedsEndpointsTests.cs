using System.Net;
using Shadow.Gateway.Tests.Fakes;

namespace Shadow.Gateway.Tests.Endpoints;

[Collection(FakeGatewayCollection.Name)]
public sealed class FeedsEndpointsTests(FakeGateway gateway)
{
    private readonly HttpClient _alice = gateway.CreateClient(GatewayFactory.AliceKey);

    private async Task<string> NewTaskAsync() => (await _alice.CreateTaskAsync())["id"]!.GetValue<string>();

    [Fact]
    public async Task Terminal_FromStart_ReplaysEverySeqOnceAcrossAnAbortedEnumeration()
    {
        var id = await NewTaskAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/tasks/{id}/terminal");

        // The fake breaks off after two entries on its first follow: the gateway resumes after seq 2.
        var events = await _alice.ReadEventsAsync(request, FakeTerminalGrain.Seeded);

        events.Select(e => e.Id).ShouldBe(["1", "2", "3", "4", "5"]);
        events.ShouldAllBe(e => e.Event == "stdout");
        events[0].Data.ShouldContain("\"text\":\"line 1\\n\"");
    }

    [Fact]
    public async Task Terminal_LastEventId_ReplaysOnlyLaterEntries()
    {
        var id = await NewTaskAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/tasks/{id}/terminal?since=1");
        request.Headers.Add("Last-Event-ID", "3");

        var events = await _alice.ReadEventsAsync(request, 2);

        events.Select(e => e.Id).ShouldBe(["4", "5"]);
    }

    [Fact]
    public async Task Terminal_Since_ReplaysOnlyLaterEntries()
    {
        var id = await NewTaskAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/tasks/{id}/terminal?since=4");

        var events = await _alice.ReadEventsAsync(request, 1);

        events.Select(e => e.Id).ShouldBe(["5"]);
    }

    [Fact]
    public async Task Terminal_BadLastEventId_400Problem()
    {
        var id = await NewTaskAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/tasks/{id}/terminal");
        request.Headers.Add("Last-Event-ID", "three");

        using var response = await _alice.SendAsync(request, Http.Ct);

        (await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest))["detail"]!.GetValue<string>().ShouldContain("Last-Event-ID");
    }

    [Fact]
    public async Task TerminalHistory_SinceAndLimit_OnePage()
    {
        var id = await NewTaskAsync();

        using var response = await _alice.GetAsync($"/api/tasks/{id}/terminal/history?since=2&limit=2", Http.Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var page = await response.ReadObjectAsync();
        page["entries"]!.AsArray().Select(e => e!["seq"]!.GetValue<long>()).ShouldBe([3L, 4L]);
        page["nextSince"]!.GetValue<long>().ShouldBe(4);
        page["lastSeq"]!.GetValue<long>().ShouldBe(5);
        page["hasMore"]!.GetValue<bool>().ShouldBeTrue();
    }

    [Theory]
    [InlineData("since=-1")]
    [InlineData("limit=0")]
    [InlineData("limit=10001")]
    public async Task TerminalHistory_BadCursor_400Problem(string query)
    {
        var id = await NewTaskAsync();

        using var response = await _alice.GetAsync($"/api/tasks/{id}/terminal/history?{query}", Http.Ct);

        await response.ShouldBeProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Changes_Stream_NamedByKindWithSeqIds()
    {
        var id = await NewTaskAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/tasks/{id}/changes");

        var events = await _alice.ReadEventsAsync(request, 2);

        events.Select(e => (e.Id, e.Event)).ShouldBe([("1", "created"), ("2", "modified")]);
        events[0].Data.ShouldContain("\"path\":\"a.txt\"");
    }

    [Fact]
    public async Task ChangesHistory_Since_LaterEvents()
    {
        var id = await NewTaskAsync();

        using var response = await _alice.GetAsync($"/api/tasks/{id}/changes/history?since=1", Http.Ct);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await response.ReadObjectAsync())["entries"]!.AsArray().Count.ShouldBe(1);
    }
}

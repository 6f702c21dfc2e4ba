using Orleans.Runtime;
using Shadow.Grains.Storage;
using Shouldly;

namespace Shadow.Grains.Tests.Storage;

/// <summary><see cref="SqliteReminderTable"/> against real SQLite files in a temp folder.</summary>
public sealed class SqliteReminderTableTests : IDisposable
{
    private static readonly GrainId Grain = GrainId.Create("probe", "task-1");
    private static readonly DateTime StartAt = new(2030, 1, 2, 3, 4, 5, 678, DateTimeKind.Utc);

    private readonly LocalStore _store = new();

    public void Dispose() => _store.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ReminderEntry Entry(GrainId grain, string name = "tick", int minutes = 5) =>
        new() { GrainId = grain, ReminderName = name, StartAt = StartAt, Period = TimeSpan.FromMinutes(minutes) };

    /// <summary>Grains with distinct hashes, sorted by <see cref="GrainId.GetUniformHashCode"/>.</summary>
    private static List<GrainId> GrainsByHash(int count) =>
        [.. Enumerable.Range(0, count).Select(i => GrainId.Create("probe", $"ring-{i}")).DistinctBy(g => g.GetUniformHashCode()).OrderBy(g => g.GetUniformHashCode())];

    private static HashSet<GrainId> Grains(ReminderTableData data) => [.. data.Reminders.Select(r => r.GrainId)];

    [Fact]
    public async Task UpsertRow_ThenReadRow_RoundTripsEveryField()
    {
        var sut = _store.CreateReminderTable();

        // Act
        var etag = await sut.UpsertRow(Entry(Grain), Ct);
        var row = await _store.CreateReminderTable().ReadRow(Grain, "tick", Ct);

        // Assert
        etag.ShouldNotBeNullOrEmpty();
        row.ShouldNotBeNull();
        row.GrainId.ShouldBe(Grain);
        row.ReminderName.ShouldBe("tick");
        row.StartAt.ShouldBe(StartAt);
        row.StartAt.Kind.ShouldBe(DateTimeKind.Utc);
        row.Period.ShouldBe(TimeSpan.FromMinutes(5));
        row.ETag.ShouldBe(etag);
    }

    [Fact]
    public async Task ReadRow_Missing_ReturnsNull()
    {
        var sut = _store.CreateReminderTable();
        await sut.UpsertRow(Entry(Grain), Ct);

        // Act
        var row = await sut.ReadRow(Grain, "other", Ct);

        // Assert
        row.ShouldBeNull();
    }

    [Fact]
    public async Task UpsertRow_ExistingRow_UpdatesItAndReturnsNewEtag()
    {
        var sut = _store.CreateReminderTable();
        var first = await sut.UpsertRow(Entry(Grain), Ct);

        // Act
        var second = await sut.UpsertRow(Entry(Grain, minutes: 30), Ct);

        // Assert
        second.ShouldNotBe(first);
        var rows = await sut.ReadRows(Grain, Ct);
        rows.Reminders.Count.ShouldBe(1);
        rows.Reminders[0].Period.ShouldBe(TimeSpan.FromMinutes(30));
        rows.Reminders[0].ETag.ShouldBe(second);
    }

    [Fact]
    public async Task RemoveRow_StaleEtag_ReturnsFalseAndKeepsRow()
    {
        var sut = _store.CreateReminderTable();
        var stale = await sut.UpsertRow(Entry(Grain), Ct);
        await sut.UpsertRow(Entry(Grain, minutes: 10), Ct);

        // Act
        var removed = await sut.RemoveRow(Grain, "tick", stale!, Ct);

        // Assert
        removed.ShouldBeFalse();
        (await sut.ReadRow(Grain, "tick", Ct)).ShouldNotBeNull();
    }

    [Fact]
    public async Task RemoveRow_CurrentEtag_RemovesOnlyThatRow()
    {
        var sut = _store.CreateReminderTable();
        var etag = await sut.UpsertRow(Entry(Grain), Ct);
        await sut.UpsertRow(Entry(Grain, "other"), Ct);

        // Act
        var removed = await sut.RemoveRow(Grain, "tick", etag!, Ct);

        // Assert
        removed.ShouldBeTrue();
        (await sut.ReadRow(Grain, "tick", Ct)).ShouldBeNull();
        (await sut.ReadRow(Grain, "other", Ct)).ShouldNotBeNull();
        (await sut.RemoveRow(Grain, "tick", etag!, Ct)).ShouldBeFalse();
    }

    [Fact]
    public async Task ReadRows_ByGrain_ReturnsOnlyThatGrainsRows()
    {
        var sut = _store.CreateReminderTable();
        var other = GrainId.Create("probe", "task-2");
        await sut.UpsertRow(Entry(Grain, "a"), Ct);
        await sut.UpsertRow(Entry(Grain, "b"), Ct);
        await sut.UpsertRow(Entry(other, "a"), Ct);

        // Act
        var rows = await sut.ReadRows(Grain, Ct);

        // Assert
        rows.Reminders.Select(r => r.ReminderName).Order().ShouldBe(["a", "b"]);
        rows.Reminders.ShouldAllBe(r => r.GrainId == Grain);
    }

    [Fact]
    public async Task ReadRows_Range_ExcludesBeginAndIncludesEnd()
    {
        var sut = _store.CreateReminderTable();
        var grains = GrainsByHash(12);
        foreach (var grain in grains)
        {
            await sut.UpsertRow(Entry(grain), Ct);
        }

        var begin = grains[2].GetUniformHashCode();
        var end = grains[6].GetUniformHashCode();

        // Act
        var rows = await sut.ReadRows(begin, end, Ct);

        // Assert: (begin, end] holds exactly grains 3..6.
        Grains(rows).ShouldBe(grains[3..7].ToHashSet(), ignoreOrder: true);
    }

    [Fact]
    public async Task ReadRows_BeginAboveEnd_WrapsAroundTheRing()
    {
        var sut = _store.CreateReminderTable();
        var grains = GrainsByHash(12);
        foreach (var grain in grains)
        {
            await sut.UpsertRow(Entry(grain), Ct);
        }

        var begin = grains[8].GetUniformHashCode();
        var end = grains[1].GetUniformHashCode();

        // Act
        var rows = await sut.ReadRows(begin, end, Ct);

        // Assert: above grains[8] up to uint.MaxValue, then from 0 up to and including grains[1].
        Grains(rows).ShouldBe([.. grains[9..], grains[0], grains[1]], ignoreOrder: true);
    }

    [Fact]
    public async Task ReadRows_BeginEqualsEnd_ReturnsTheWholeRing()
    {
        var sut = _store.CreateReminderTable();
        var grains = GrainsByHash(8);
        foreach (var grain in grains)
        {
            await sut.UpsertRow(Entry(grain), Ct);
        }

        var point = grains[3].GetUniformHashCode();

        // Act
        var rows = await sut.ReadRows(point, point, Ct);

        // Assert
        Grains(rows).ShouldBe(grains.ToHashSet(), ignoreOrder: true);
    }

    [Fact]
    public async Task ReadRows_FullUnsignedRange_HandlesHashesAboveIntMaxValue()
    {
        var sut = _store.CreateReminderTable();
        var grains = GrainsByHash(40);
        grains.ShouldContain(g => g.GetUniformHashCode() > int.MaxValue, "the sample must exercise hashes that do not fit an int");
        foreach (var grain in grains)
        {
            await sut.UpsertRow(Entry(grain), Ct);
        }

        // Act
        var upper = await sut.ReadRows(int.MaxValue, uint.MaxValue, Ct);
        var lower = await sut.ReadRows(0u, int.MaxValue, Ct);

        // Assert
        Grains(upper).ShouldBe(grains.Where(g => g.GetUniformHashCode() > int.MaxValue).ToHashSet(), ignoreOrder: true);
        Grains(lower).ShouldBe(grains.Where(g => g.GetUniformHashCode() is > 0 and <= int.MaxValue).ToHashSet(), ignoreOrder: true);
    }

    [Fact]
    public async Task TestOnlyClearTable_RemovesThisServicesRowsOnly()
    {
        var database = _store.OpenDatabase();
        var sut = _store.CreateReminderTable(database);
        var otherService = _store.CreateReminderTable(database, serviceId: "svc-b");
        await sut.UpsertRow(Entry(Grain, "a"), Ct);
        await sut.UpsertRow(Entry(GrainId.Create("probe", "task-2")), Ct);
        await otherService.UpsertRow(Entry(Grain, "a"), Ct);

        // Act
        await sut.TestOnlyClearTable(Ct);

        // Assert
        (await sut.ReadRows(0u, 0u, Ct)).Reminders.ShouldBeEmpty();
        (await otherService.ReadRows(0u, 0u, Ct)).Reminders.Count.ShouldBe(1);
    }

    [Fact]
    public async Task ReadRows_OtherService_DoesNotSeeRows()
    {
        var database = _store.OpenDatabase();
        await _store.CreateReminderTable(database).UpsertRow(Entry(Grain), Ct);
        var sut = _store.CreateReminderTable(database, serviceId: "svc-b");

        // Act
        var byGrain = await sut.ReadRows(Grain, Ct);
        var row = await sut.ReadRow(Grain, "tick", Ct);

        // Assert
        byGrain.Reminders.ShouldBeEmpty();
        row.ShouldBeNull();
    }

    [Fact]
    public async Task UpsertRow_TableDisposedAndRecreatedOnSameFile_RowSurvives()
    {
        var firstDatabase = _store.OpenDatabase();
        var etag = await _store.CreateReminderTable(firstDatabase).UpsertRow(Entry(Grain), Ct);
        firstDatabase.Dispose();

        // Act
        var row = await _store.CreateReminderTable(_store.OpenDatabase()).ReadRow(Grain, "tick", Ct);

        // Assert
        row.ShouldNotBeNull();
        row.ETag.ShouldBe(etag);
        row.StartAt.ShouldBe(StartAt);
    }
}

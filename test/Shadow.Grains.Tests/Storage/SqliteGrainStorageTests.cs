using Orleans.Runtime;
using Orleans.Storage;
using Shadow.Grains.Storage;
using Shadow.Sidecar.Contracts.Files;
using Shouldly;

namespace Shadow.Grains.Tests.Storage;

/// <summary><see cref="SqliteGrainStorage"/> against real SQLite files in a temp folder.</summary>
public sealed class SqliteGrainStorageTests : IDisposable
{
    private const string StateName = "s";
    private static readonly GrainId Grain = GrainId.Create("probe", "task-1");

    private readonly LocalStore _store = new();

    public void Dispose() => _store.Dispose();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ProbeGrainState State(string text = "", int count = 0, string? etag = null) =>
        new() { State = new ProbeState { Text = text, Count = count }, ETag = etag };

    private static async Task<ProbeGrainState> ReadAsync(IGrainStorage storage, GrainId? grain = null, string stateName = StateName)
    {
        var state = new ProbeGrainState();
        await storage.ReadStateAsync(stateName, grain ?? Grain, state, Ct);
        return state;
    }

    [Fact]
    public async Task ReadStateAsync_NoRow_GivesDefaultStateWithoutEtag()
    {
        var sut = _store.CreateStorage();
        var state = State("stale", 7, "old-etag");
        state.RecordExists = true;

        // Act
        await sut.ReadStateAsync(StateName, Grain, state, Ct);

        // Assert
        state.State.ShouldNotBeNull();
        state.State.Text.ShouldBe("");
        state.State.Count.ShouldBe(0);
        state.ETag.ShouldBeNull();
        state.RecordExists.ShouldBeFalse();
    }

    [Fact]
    public async Task WriteStateAsync_ThenRead_RoundTripsGeneratedAndSidecarContractTypes()
    {
        var sut = _store.CreateStorage();
        var state = State("hello", 3);
        state.State.Entry = new FileEntry("a.txt", "src/a.txt", FileEntryType.Symlink, 42);

        // Act
        await sut.WriteStateAsync(StateName, Grain, state, Ct);
        var read = await ReadAsync(_store.CreateStorage());

        // Assert
        state.ETag.ShouldNotBeNullOrEmpty();
        state.RecordExists.ShouldBeTrue();
        read.RecordExists.ShouldBeTrue();
        read.ETag.ShouldBe(state.ETag);
        read.State.Text.ShouldBe("hello");
        read.State.Count.ShouldBe(3);
        read.State.Entry.ShouldBe(new FileEntry("a.txt", "src/a.txt", FileEntryType.Symlink, 42));
    }

    [Fact]
    public async Task WriteStateAsync_SecondWrite_ReplacesStateAndChangesEtag()
    {
        var sut = _store.CreateStorage();
        var state = State("one", 1);
        await sut.WriteStateAsync(StateName, Grain, state, Ct);
        var first = state.ETag;

        // Act
        state.State.Text = "two";
        await sut.WriteStateAsync(StateName, Grain, state, Ct);

        // Assert
        state.ETag.ShouldNotBe(first);
        var read = await ReadAsync(sut);
        read.State.Text.ShouldBe("two");
        read.ETag.ShouldBe(state.ETag);
    }

    [Fact]
    public async Task WriteStateAsync_StaleEtag_ThrowsInconsistentStateAndKeepsStoredState()
    {
        var sut = _store.CreateStorage();
        await sut.WriteStateAsync(StateName, Grain, State("v1"), Ct);
        var holderA = await ReadAsync(sut);
        var holderB = await ReadAsync(sut);
        holderA.State.Text = "from A";
        await sut.WriteStateAsync(StateName, Grain, holderA, Ct);
        holderB.State.Text = "from B";
        var staleEtag = holderB.ETag;

        // Act
        var error = await Should.ThrowAsync<InconsistentStateException>(() => sut.WriteStateAsync(StateName, Grain, holderB, Ct));

        // Assert
        error.StoredEtag.ShouldBe(holderA.ETag);
        error.CurrentEtag.ShouldBe(staleEtag);
        holderB.ETag.ShouldBe(staleEtag);
        (await ReadAsync(sut)).State.Text.ShouldBe("from A");
    }

    [Fact]
    public async Task WriteStateAsync_NullEtagButRowExists_ThrowsInconsistentState()
    {
        var sut = _store.CreateStorage();
        await sut.WriteStateAsync(StateName, Grain, State("first"), Ct);

        // Act
        var error = await Should.ThrowAsync<InconsistentStateException>(() => sut.WriteStateAsync(StateName, Grain, State("blind"), Ct));

        // Assert
        error.Message.ShouldContain("no ETag");
        (await ReadAsync(sut)).State.Text.ShouldBe("first");
    }

    [Fact]
    public async Task WriteStateAsync_EtagButRowCleared_ThrowsInconsistentStateAndWritesNothing()
    {
        var sut = _store.CreateStorage();
        var holderA = State("v1");
        await sut.WriteStateAsync(StateName, Grain, holderA, Ct);
        var holderB = await ReadAsync(sut);
        await sut.ClearStateAsync(StateName, Grain, holderA, Ct);

        // Act
        var error = await Should.ThrowAsync<InconsistentStateException>(() => sut.WriteStateAsync(StateName, Grain, holderB, Ct));

        // Assert
        error.Message.ShouldContain("gone");
        (await ReadAsync(sut)).RecordExists.ShouldBeFalse();
    }

    [Fact]
    public async Task WriteStateAsync_OldEtagAfterClearAndRewrite_ThrowsInconsistentState()
    {
        var sut = _store.CreateStorage();
        var holderA = State("v1");
        await sut.WriteStateAsync(StateName, Grain, holderA, Ct);
        var stale = await ReadAsync(sut);
        await sut.ClearStateAsync(StateName, Grain, holderA, Ct);
        await sut.WriteStateAsync(StateName, Grain, holderA, Ct);

        // Act + Assert: a new row must not accept an ETag from the row that was cleared.
        await Should.ThrowAsync<InconsistentStateException>(() => sut.WriteStateAsync(StateName, Grain, stale, Ct));
    }

    [Fact]
    public async Task ClearStateAsync_StaleEtag_ThrowsInconsistentStateAndKeepsRow()
    {
        var sut = _store.CreateStorage();
        await sut.WriteStateAsync(StateName, Grain, State("v1"), Ct);
        var holderA = await ReadAsync(sut);
        var holderB = await ReadAsync(sut);
        await sut.WriteStateAsync(StateName, Grain, holderA, Ct);

        // Act
        var error = await Should.ThrowAsync<InconsistentStateException>(() => sut.ClearStateAsync(StateName, Grain, holderB, Ct));

        // Assert
        error.StoredEtag.ShouldBe(holderA.ETag);
        (await ReadAsync(sut)).RecordExists.ShouldBeTrue();
    }

    [Fact]
    public async Task ClearStateAsync_NullEtagButRowExists_ThrowsInconsistentState()
    {
        var sut = _store.CreateStorage();
        await sut.WriteStateAsync(StateName, Grain, State("v1"), Ct);

        // Act
        await Should.ThrowAsync<InconsistentStateException>(() => sut.ClearStateAsync(StateName, Grain, State(), Ct));

        // Assert
        (await ReadAsync(sut)).RecordExists.ShouldBeTrue();
    }

    [Fact]
    public async Task ClearStateAsync_EtagButRowGone_ThrowsInconsistentState()
    {
        var sut = _store.CreateStorage();
        var holderA = State("v1");
        await sut.WriteStateAsync(StateName, Grain, holderA, Ct);
        var holderB = await ReadAsync(sut);
        await sut.ClearStateAsync(StateName, Grain, holderA, Ct);

        // Act + Assert
        await Should.ThrowAsync<InconsistentStateException>(() => sut.ClearStateAsync(StateName, Grain, holderB, Ct));
    }

    [Fact]
    public async Task ClearStateAsync_ThenRead_GivesDefaultStateAndRecordExistsFalse()
    {
        var sut = _store.CreateStorage();
        var state = State("doomed", 9);
        await sut.WriteStateAsync(StateName, Grain, state, Ct);

        // Act
        await sut.ClearStateAsync(StateName, Grain, state, Ct);
        var read = await ReadAsync(_store.CreateStorage());

        // Assert
        state.ETag.ShouldBeNull();
        state.RecordExists.ShouldBeFalse();
        state.State.Text.ShouldBe("");
        read.RecordExists.ShouldBeFalse();
        read.ETag.ShouldBeNull();
        read.State.Text.ShouldBe("");
        read.State.Count.ShouldBe(0);
        using var raw = _store.OpenRaw();
        using var count = raw.CreateCommand();
        count.CommandText = "SELECT COUNT(*) FROM grain_state;";
        ((long)count.ExecuteScalar()!).ShouldBe(0);
    }

    [Fact]
    public async Task ClearStateAsync_NoRowAndNoEtag_Succeeds()
    {
        var sut = _store.CreateStorage();
        var state = State();

        // Act
        await sut.ClearStateAsync(StateName, Grain, state, Ct);

        // Assert
        state.RecordExists.ShouldBeFalse();
        state.ETag.ShouldBeNull();
    }

    [Fact]
    public async Task WriteStateAsync_StorageDisposedAndRecreatedOnSameFile_StateSurvives()
    {
        var firstDatabase = _store.OpenDatabase();
        var state = State("durable", 5);
        await _store.CreateStorage(firstDatabase).WriteStateAsync(StateName, Grain, state, Ct);
        // Closes every pooled connection to the file, as a process exit would.
        firstDatabase.Dispose();

        // Act
        var read = await ReadAsync(_store.CreateStorage(_store.OpenDatabase()));

        // Assert
        read.RecordExists.ShouldBeTrue();
        read.ETag.ShouldBe(state.ETag);
        read.State.Text.ShouldBe("durable");
        read.State.Count.ShouldBe(5);
    }

    [Fact]
    public async Task WriteStateAsync_ConcurrentWritersOnDifferentGrains_EveryWriteLands()
    {
        const int Grains = 24;
        const int WritesPerGrain = 5;
        var sut = _store.CreateStorage();

        // Act
        await Task.WhenAll(Enumerable.Range(0, Grains).Select(i => Task.Run(
            async () =>
            {
                var grain = GrainId.Create("probe", $"concurrent-{i}");
                var state = State();
                for (var n = 1; n <= WritesPerGrain; n++)
                {
                    state.State.Text = $"grain {i}";
                    state.State.Count = n;
                    await sut.WriteStateAsync(StateName, grain, state, Ct);
                }
            },
            Ct)));

        // Assert
        var reader = _store.CreateStorage();
        for (var i = 0; i < Grains; i++)
        {
            var read = await ReadAsync(reader, GrainId.Create("probe", $"concurrent-{i}"));
            read.State.Text.ShouldBe($"grain {i}");
            read.State.Count.ShouldBe(WritesPerGrain);
        }
    }

    [Fact]
    public async Task WriteStateAsync_SameGrainUnderOtherNameStateOrService_KeepsRowsApart()
    {
        var database = _store.OpenDatabase();
        var main = _store.CreateStorage(database);
        var archive = _store.CreateStorage(database, name: "archive");
        var otherService = _store.CreateStorage(database, serviceId: "svc-b");
        await main.WriteStateAsync(StateName, Grain, State("main"), Ct);

        // Act
        await archive.WriteStateAsync(StateName, Grain, State("archive"), Ct);
        await otherService.WriteStateAsync(StateName, Grain, State("other service"), Ct);
        await main.WriteStateAsync("t", Grain, State("other state"), Ct);

        // Assert
        (await ReadAsync(main)).State.Text.ShouldBe("main");
        (await ReadAsync(archive)).State.Text.ShouldBe("archive");
        (await ReadAsync(otherService)).State.Text.ShouldBe("other service");
        (await ReadAsync(main, stateName: "t")).State.Text.ShouldBe("other state");
        (await ReadAsync(main, GrainId.Create("probe2", "task-1"))).RecordExists.ShouldBeFalse();
    }

    [Fact]
    public async Task OpenAsync_DataDirIsAFile_ErrorNamesShadowDataDir()
    {
        var file = _store.Folder.Combine("not-a-folder");
        await File.WriteAllTextAsync(file, "x", Ct);
        var sut = _store.CreateStorage(_store.OpenDatabase(Path.Combine(file, "data")));

        // Act
        var error = await Should.ThrowAsync<InvalidOperationException>(() => sut.ReadStateAsync(StateName, Grain, State(), Ct));

        // Assert
        error.Message.ShouldContain("Shadow:DataDir");
        error.Message.ShouldContain(file);
    }

    [Fact]
    public void EnsureInitialized_TwiceOnOneFile_IsIdempotentWithWalAndOneSchemaVersionRow()
    {
        // Act
        _store.OpenDatabase().EnsureInitialized();
        _store.OpenDatabase().EnsureInitialized();

        // Assert
        using var raw = _store.OpenRaw();
        using var command = raw.CreateCommand();
        command.CommandText = "SELECT COUNT(*), MAX(version) FROM shadow_schema_version;";
        using var reader = command.ExecuteReader();
        reader.Read().ShouldBeTrue();
        reader.GetInt64(0).ShouldBe(1);
        reader.GetInt64(1).ShouldBe(SqliteDatabase.SchemaVersion);
        using var mode = raw.CreateCommand();
        mode.CommandText = "PRAGMA journal_mode;";
        ((string)mode.ExecuteScalar()!).ShouldBe("wal");
    }

    [Fact]
    public void EnsureInitialized_FileFromNewerSchema_RefusesWithVersionInMessage()
    {
        _store.OpenDatabase().EnsureInitialized();
        using (var raw = _store.OpenRaw())
        {
            using var bump = raw.CreateCommand();
            bump.CommandText = "UPDATE shadow_schema_version SET version = 99;";
            bump.ExecuteNonQuery();
        }

        // Act
        var error = Should.Throw<InvalidOperationException>(() => _store.OpenDatabase().EnsureInitialized());

        // Assert
        error.Message.ShouldContain("99");
    }
}

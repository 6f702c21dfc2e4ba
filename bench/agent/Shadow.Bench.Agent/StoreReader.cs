using Microsoft.Data.Sqlite;

namespace Shadow.Bench.Agent;

/// <summary>Reads payload sizes from the embedded store (<c>&lt;DataDir&gt;/shadow.db</c>, table <c>grain_state</c>), read-only, while the silo runs (WAL mode lets a reader in).</summary>
internal sealed class StoreReader(string dataDir)
{
    public string FilePath { get; } = Path.Combine(dataDir, "shadow.db");

    /// <summary>Every state row of the grains keyed by <paramref name="taskId"/> (the task, its events feed, its workspace).</summary>
    public IReadOnlyList<StateRow> Rows(string taskId)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = FilePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString();
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT grain_type, state_name, length(payload) FROM grain_state
            WHERE grain_key = $key ORDER BY grain_type, state_name;
            """;
        command.Parameters.AddWithValue("$key", taskId);
        using var reader = command.ExecuteReader();
        List<StateRow> rows = [];
        while (reader.Read())
        {
            rows.Add(new StateRow(reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
        }

        return rows;
    }

    /// <summary>The task grain's <c>task</c> row size (0 when absent).</summary>
    public long TaskStateBytes(string taskId) =>
        Rows(taskId).Where(r => r.StateName == "task").Select(r => r.PayloadBytes).DefaultIfEmpty(0).Max();

    /// <summary>The message pages' sizes by page number.</summary>
    public static SortedDictionary<int, long> Pages(IEnumerable<StateRow> rows)
    {
        var pages = new SortedDictionary<int, long>();
        foreach (var row in rows)
        {
            if (row.StateName.StartsWith("messages-", StringComparison.Ordinal)
                && int.TryParse(row.StateName.AsSpan("messages-".Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var page))
            {
                pages[page] = row.PayloadBytes;
            }
        }

        return pages;
    }
}

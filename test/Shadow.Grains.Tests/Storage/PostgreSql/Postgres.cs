using Shadow.Testing;

namespace Shadow.Grains.Tests.Storage.PostgreSql;

/// <summary>A fresh database on the test PostgreSQL server, or a skip that says why there is none.</summary>
internal static class Postgres
{
    public static async Task<string> NewDatabaseAsync()
    {
        var server = await TestPostgres.GetAsync();
        if (server.UnavailableReason is { } reason)
        {
            Assert.Skip(reason);
        }

        return await server.CreateDatabaseAsync();
    }
}

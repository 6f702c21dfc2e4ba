namespace Shadow.Grains.Storage.PostgreSql;

/// <summary>Marks a silo whose state lives in PostgreSQL, and where (one database per silo).</summary>
internal sealed record PostgreSqlStorageRegistration(string ConnectionString)
{
    public override string ToString() => PostgreSqlSchema.Describe(ConnectionString);
}

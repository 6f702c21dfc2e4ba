namespace Shadow.Grains.Storage.PostgreSql;

/// <summary>
/// Prepares the PostgreSQL schema at the very start of the silo's lifecycle, before clustering, storage and reminders read
/// their queries from it, so an unreachable database stops the start with a message naming the setting.
/// </summary>
internal sealed class PostgreSqlSchemaLifecycle(PostgreSqlStorageRegistration registration) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(PostgreSqlSchemaLifecycle), ServiceLifecycleStage.First,
            cancellationToken => PostgreSqlSchema.EnsureAsync(registration.ConnectionString, cancellationToken));
}

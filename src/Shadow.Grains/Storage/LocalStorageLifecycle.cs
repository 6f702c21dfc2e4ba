namespace Shadow.Grains.Storage;

/// <summary>
/// Creates the embedded store's folder and schema while the silo starts (with the storage providers), so a data folder
/// that cannot be written stops the start with a message naming <c>Shadow:DataDir</c> instead of failing the first grain.
/// </summary>
internal sealed class LocalStorageLifecycle(SqliteDatabase database) : ILifecycleParticipant<ISiloLifecycle>
{
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(LocalStorageLifecycle), ServiceLifecycleStage.RuntimeStorageServices, _ =>
        {
            database.EnsureInitialized();
            return Task.CompletedTask;
        });
}

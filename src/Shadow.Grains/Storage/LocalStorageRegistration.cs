namespace Shadow.Grains.Storage;

/// <summary>Marks a container that already has the embedded store, and on which folder (one data folder per silo).</summary>
internal sealed record LocalStorageRegistration(string DataDir);

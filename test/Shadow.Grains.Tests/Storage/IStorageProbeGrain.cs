namespace Shadow.Grains.Tests.Storage;

/// <summary>A tiny grain that keeps one persistent state in <see cref="StorageNames.Default"/> and registers reminders.</summary>
[Alias("shadow.tests.storage-probe")]
public interface IStorageProbeGrain : IGrainWithStringKey
{
    /// <summary>Writes the text to the persistent state.</summary>
    Task SetAsync(string text, CancellationToken cancellationToken = default);

    /// <summary>The stored text and whether the record exists.</summary>
    Task<(string Text, bool RecordExists)> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>Registers a reminder that is not due for an hour.</summary>
    Task RegisterReminderAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Whether the reminder service knows the reminder.</summary>
    Task<bool> HasReminderAsync(string name, CancellationToken cancellationToken = default);
}

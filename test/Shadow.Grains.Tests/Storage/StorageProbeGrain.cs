namespace Shadow.Grains.Tests.Storage;

public sealed class StorageProbeGrain([PersistentState("s", StorageNames.Default)] IPersistentState<ProbeState> state)
    : Grain, IStorageProbeGrain, IRemindable
{
    public async Task SetAsync(string text, CancellationToken cancellationToken = default)
    {
        state.State.Text = text;
        state.State.Count++;
        await state.WriteStateAsync(cancellationToken);
    }

    public Task<(string Text, bool RecordExists)> GetAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult((state.State.Text, state.RecordExists));

    public Task RegisterReminderAsync(string name, CancellationToken cancellationToken = default) =>
        this.RegisterOrUpdateReminder(name, TimeSpan.FromHours(1), TimeSpan.FromHours(1));

    public async Task<bool> HasReminderAsync(string name, CancellationToken cancellationToken = default) =>
        await this.GetReminder(name) is not null;

    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;
}

using System.Diagnostics.CodeAnalysis;

namespace Shadow.Grains.Tests.Storage;

/// <summary>The <see cref="IGrainState{T}"/> a grain's state bridge would hand the storage; a storage that sets a null state fails the test.</summary>
internal sealed class ProbeGrainState : IGrainState<ProbeState>
{
    private ProbeState _state = new();

    [AllowNull]
    public ProbeState State
    {
        get => _state;
        set => _state = value ?? throw new InvalidOperationException("The storage set a null state.");
    }

    public string? ETag { get; set; }

    public bool RecordExists { get; set; }
}

namespace Shadow.Grains.Abstractions.Tasks;

/// <summary>Where one init step is.</summary>
[GenerateSerializer]
public enum InitStepStatus
{
    /// <summary>Not started yet.</summary>
    Pending,
    /// <summary>Started, not finished.</summary>
    Running,
    /// <summary>Finished without error.</summary>
    Succeeded,
    /// <summary>Finished with <see cref="InitStepRecord.Error"/>.</summary>
    Failed,
}

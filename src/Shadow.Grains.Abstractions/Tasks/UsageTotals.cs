namespace Shadow.Grains.Abstractions.Tasks;

/// <summary>Tokens and cost: of one model call, or summed over a task or a user.</summary>
/// <param name="InputTokens">Tokens sent to the model.</param>
/// <param name="OutputTokens">Tokens the model produced.</param>
/// <param name="Cost">What they cost, from the configured price table (<c>Shadow:Agent:Prices</c>); 0 for a model without a price.</param>
/// <param name="ModelCalls">How many model calls this covers.</param>
[GenerateSerializer, Immutable, Alias("shadow.usage")]
public sealed record UsageTotals(long InputTokens, long OutputTokens, decimal Cost, int ModelCalls)
{
    /// <summary>Nothing used yet.</summary>
    public static UsageTotals Zero { get; } = new(0, 0, 0m, 0);

    /// <summary>The sum of two.</summary>
    public UsageTotals Add(UsageTotals other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new(InputTokens + other.InputTokens, OutputTokens + other.OutputTokens, Cost + other.Cost, ModelCalls + other.ModelCalls);
    }
}

using Shadow.Grains.Abstractions.Tasks;

namespace Shadow.Grains.Agent;

/// <summary>Turns a model call's token counts into <see cref="UsageTotals"/> with its cost from <see cref="AgentOptions.Prices"/>.</summary>
public sealed class PriceTable(IReadOnlyDictionary<string, ModelPrice> prices)
{
    /// <summary>The usage of one call of <paramref name="model"/>.</summary>
    public UsageTotals Price(string? model, long inputTokens, long outputTokens)
    {
        var price = Find(model);
        var cost = price is null ? 0m : ((inputTokens * price.InputPerMillionTokens) + (outputTokens * price.OutputPerMillionTokens)) / 1_000_000m;
        return new UsageTotals(inputTokens, outputTokens, decimal.Round(cost, 8), 1);
    }

    private ModelPrice? Find(string? model)
    {
        if (string.IsNullOrEmpty(model))
        {
            return null;
        }

        if (prices.TryGetValue(model, out var exact))
        {
            return exact;
        }

        // "llama3:8b" cannot be a configuration key; "llama3" matches it, the longest prefix first.
        return prices.Where(p => model.StartsWith(p.Key, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(p => p.Key.Length)
            .Select(p => p.Value)
            .FirstOrDefault();
    }
}

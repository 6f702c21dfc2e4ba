using System.ComponentModel.DataAnnotations;

namespace Shadow.Grains.Agent;

/// <summary>What a model costs, per million tokens (<c>Shadow:Agent:Prices:&lt;model&gt;</c>).</summary>
public sealed class ModelPrice
{
    /// <summary>Price of one million input (prompt) tokens.</summary>
    [Range(0, 1_000_000)]
    public decimal InputPerMillionTokens { get; set; }

    /// <summary>Price of one million output (completion) tokens.</summary>
    [Range(0, 1_000_000)]
    public decimal OutputPerMillionTokens { get; set; }
}

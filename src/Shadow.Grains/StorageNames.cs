namespace Shadow.Grains;

/// <summary>The grain storage names: used in <c>[PersistentState(..., StorageNames.Default)]</c> and in the silo's storage registration.</summary>
public static class StorageNames
{
    /// <summary>The one store every Shadow grain keeps its state in.</summary>
    public const string Default = "shadow";
}

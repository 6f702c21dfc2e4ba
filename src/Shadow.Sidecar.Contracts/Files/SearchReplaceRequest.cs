namespace Shadow.Sidecar.Contracts.Files;

/// <summary>Body of <c>POST /files/search-replace</c>: replace the one exact (ordinal) occurrence of a string.</summary>
/// <param name="Path">The file, relative to the workspace root.</param>
/// <param name="OldString">The text to find; must occur exactly once (otherwise 409 with the count).</param>
/// <param name="NewString">The replacement.</param>
public sealed record SearchReplaceRequest(string Path, string OldString, string NewString);

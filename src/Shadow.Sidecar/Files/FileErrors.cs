using Shadow.Sidecar.Hosting;

namespace Shadow.Sidecar.Files;

/// <summary>Turns the file system's refusals into the sidecar's 4xx answers (anything unforeseen stays a 500).</summary>
internal static class FileErrors
{
    private const int Enotdir = 20;
    private const int Eisdir = 21;
    private const int Enospc = 28;
    private const int Enametoolong = 36;
    private const int Enotempty = 39;
    private const int Eloop = 40;
    private const int Edquot = 122;

    /// <summary>The 4xx for <paramref name="exception"/>, or null when it is not a refusal we can explain.</summary>
    public static SidecarException? Map(Exception exception, string relativePath) => exception switch
    {
        SidecarException e => e,
        FileNotFoundException or DirectoryNotFoundException => SidecarException.NotFound($"'{relativePath}' does not exist."),
        UnauthorizedAccessException => new SidecarException(StatusCodes.Status403Forbidden, "Forbidden", $"The sidecar may not access '{relativePath}'."),
        PathTooLongException => SidecarException.BadRequest($"'{relativePath}' is too long for the file system."),
        IOException { HResult: Enotdir } => SidecarException.Conflict($"A parent of '{relativePath}' is a file, not a folder."),
        IOException { HResult: Eisdir } => SidecarException.Conflict($"'{relativePath}' is a folder."),
        IOException { HResult: Enotempty } => SidecarException.Conflict($"The folder '{relativePath}' is not empty; pass recursive: true to delete it with its contents."),
        IOException { HResult: Eloop } => SidecarException.BadRequest($"'{relativePath}' goes through a symbolic link loop."),
        IOException { HResult: Enametoolong } => SidecarException.BadRequest($"'{relativePath}' is too long for the file system."),
        IOException { HResult: Enospc or Edquot } => new SidecarException(StatusCodes.Status507InsufficientStorage, "Insufficient storage", $"No space left to write '{relativePath}'."),
        _ => null,
    };
}

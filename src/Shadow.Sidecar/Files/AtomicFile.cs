using Microsoft.Win32.SafeHandles;
using Shadow.Sidecar.Hosting;

namespace Shadow.Sidecar.Files;

/// <summary>
/// Replaces a file so that readers see either the old or the new bytes, never a mix: write a temp file in the same
/// folder, optionally fsync it, then rename(2) it over the target. On any failure the temp file is removed.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Every temp file starts with this (the watcher and tools may ignore it).</summary>
    public const string TempPrefix = ".shadow-tmp-";

    /// <summary>Writes <paramref name="data"/> to <paramref name="target"/> (a canonical, contained path); true when it was created.</summary>
    public static bool Write(string target, ReadOnlySpan<byte> data, bool createDirectories, bool fsync, string relativePath)
    {
        // One lstat tells existence, kind and mode.
        var info = new FileInfo(target);
        var attributes = info.Attributes;
        var exists = (int)attributes != -1;
        if (exists && (attributes & FileAttributes.Directory) != 0)
        {
            throw SidecarException.Conflict($"'{relativePath}' is a folder; write needs a file path.");
        }

        UnixFileMode? mode = exists ? info.UnixFileMode : null;
        var separator = target.LastIndexOf('/');
        var directory = separator <= 0 ? "/" : target[..separator];
        var temp = string.Concat(target.AsSpan(0, separator + 1), TempPrefix, Random.Shared.NextInt64().ToString("x16", System.Globalization.CultureInfo.InvariantCulture));

        var handle = CreateTemp(temp, directory, createDirectories, relativePath);
        try
        {
            try
            {
                if (mode is { } m && !OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(handle, m);
                }

                if (!data.IsEmpty)
                {
                    RandomAccess.Write(handle, data, 0);
                }

                if (fsync)
                {
                    using var stream = new FileStream(handle, FileAccess.Write, bufferSize: 0);
                    stream.Flush(flushToDisk: true);
                }
            }
            finally
            {
                handle.Dispose();
            }

            File.Move(temp, target, overwrite: true);
            return !exists;
        }
        catch (Exception e)
        {
            TryDelete(temp);
            throw FileErrors.Map(e, relativePath) ?? (Exception)new IOException($"Writing '{relativePath}' failed.", e);
        }
    }

    private static SafeFileHandle CreateTemp(string temp, string directory, bool createDirectories, string relativePath)
    {
        try
        {
            return Open(temp);
        }
        catch (DirectoryNotFoundException) when (createDirectories)
        {
            try
            {
                Directory.CreateDirectory(directory);
            }
            catch (IOException e) when (e is not DirectoryNotFoundException and not PathTooLongException)
            {
                // mkdir -p met a file where a folder should be.
                throw SidecarException.Conflict($"Cannot create the folders for '{relativePath}': a parent is a file.");
            }
            catch (Exception e) when (FileErrors.Map(e, relativePath) is { } mapped)
            {
                throw mapped;
            }

            return OpenMapped(temp, relativePath);
        }
        catch (DirectoryNotFoundException)
        {
            throw SidecarException.NotFound($"The folder of '{relativePath}' does not exist (or a parent is a file); pass createDirectories: true to create it.");
        }
        catch (Exception e) when (FileErrors.Map(e, relativePath) is { } mapped)
        {
            throw mapped;
        }
    }

    private static SafeFileHandle OpenMapped(string temp, string relativePath)
    {
        try
        {
            return Open(temp);
        }
        catch (DirectoryNotFoundException)
        {
            throw SidecarException.Conflict($"Cannot create '{relativePath}': a parent is a file, not a folder.");
        }
        catch (Exception e) when (FileErrors.Map(e, relativePath) is { } mapped)
        {
            throw mapped;
        }
    }

    private static SafeFileHandle Open(string temp) =>
        File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write, FileShare.ReadWrite, FileOptions.None);

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Nothing more to do: the temp file never replaced the target.
        }
    }
}

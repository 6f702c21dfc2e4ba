using Microsoft.Extensions.Options;

namespace Shadow.Grains.Runtime.Local;

/// <summary>
/// The rules of <see cref="LocalRuntimeOptions"/> that data annotations cannot express: a sidecar must be found (where
/// <see cref="LocalRuntimeOptions.SidecarPath"/> points, or by the automatic search when it is empty) and be runnable.
/// Every failure names its setting.
/// </summary>
internal sealed class LocalRuntimeOptionsValidator : IValidateOptions<LocalRuntimeOptions>
{
    private const string Section = LocalRuntimeOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, LocalRuntimeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        string? path = null;
        try
        {
            path = SidecarLocator.Locate(options.SidecarPath, AppContext.BaseDirectory);
        }
        catch (FileNotFoundException e)
        {
            errors.Add(e.Message);
        }

        if (path is not null && SidecarLocator.IsAssembly(path)
            && !File.Exists(Path.ChangeExtension(path, ".runtimeconfig.json")))
        {
            errors.Add($"{Section}:SidecarPath '{path}' has no {Path.GetFileNameWithoutExtension(path)}.runtimeconfig.json next to it, so dotnet cannot run it; " +
                "point it at the sidecar's build or publish output.");
        }
        else if (path is not null && !SidecarLocator.IsAssembly(path) && OperatingSystem.IsLinux()
            && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) == 0)
        {
            errors.Add($"{Section}:SidecarPath '{path}' is not executable; point it at a Native AOT Shadow.Sidecar binary or at Shadow.Sidecar.dll.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

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

        var sandbox = options.ResolvedSandbox;
        if (!SandboxTools.Kinds.Contains(sandbox, StringComparer.Ordinal))
        {
            errors.Add($"{Section}:Sandbox must be Bubblewrap, GVisor or None (is '{options.Sandbox}').");
        }
        else if (sandbox != "None" && SandboxTools.Find("bwrap") is null)
        {
            errors.Add($"{Section}:Sandbox={sandbox} needs bubblewrap (bwrap) on PATH: install it (apt-get install bubblewrap), or set {Section}:Sandbox=None for development only.");
        }
        else if (sandbox == "GVisor" && SandboxTools.Find("runsc") is null)
        {
            errors.Add($"{Section}:Sandbox=GVisor needs gVisor (runsc) on PATH: install it (apt-get install runsc) or choose Bubblewrap.");
        }

        if (options.SandboxNetwork is not ("Off" or "On"))
        {
            errors.Add($"{Section}:SandboxNetwork must be Off or On (is '{options.SandboxNetwork}').");
        }
        else if (options.SandboxNetwork == "On" && sandbox != "None" && SandboxTools.Find("slirp4netns") is null)
        {
            errors.Add($"{Section}:SandboxNetwork=On needs slirp4netns on PATH (apt-get install slirp4netns), or set it to Off.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

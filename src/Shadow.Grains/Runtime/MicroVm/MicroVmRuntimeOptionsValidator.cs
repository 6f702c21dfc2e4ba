using Microsoft.Extensions.Options;

namespace Shadow.Grains.Runtime.MicroVm;

/// <summary>
/// The rules of <see cref="MicroVmRuntimeOptions"/> that data annotations cannot express: the accelerator is a known one,
/// QEMU can be found, and paths that are set exist. Every failure names its setting. (Whether KVM really boots the guest
/// is only known by booting it, at first use.)
/// </summary>
internal sealed class MicroVmRuntimeOptionsValidator : IValidateOptions<MicroVmRuntimeOptions>
{
    private const string Section = MicroVmRuntimeOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, MicroVmRuntimeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> errors = [];
        if (!Enum.IsDefined(options.Accelerator))
        {
            errors.Add($"{Section}:Accelerator must be Auto, Kvm or Tcg (got '{options.Accelerator}').");
        }

        if (!string.IsNullOrWhiteSpace(options.QemuPath) && ExecutableSearch.Find(options.QemuPath) is null)
        {
            errors.Add($"{Section}:QemuPath '{options.QemuPath}' is not an executable file nor found on PATH; install QEMU (apt-get install qemu-system-x86) or set the full path.");
        }

        if (!string.IsNullOrWhiteSpace(options.SidecarPath) && !File.Exists(options.SidecarPath))
        {
            errors.Add($"{Section}:SidecarPath '{options.SidecarPath}' does not exist; point it at a Native AOT Shadow.Sidecar (dotnet publish src/Shadow.Sidecar -c Release -r linux-x64).");
        }
        else if (!string.IsNullOrWhiteSpace(options.SidecarPath) && options.SidecarPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"{Section}:SidecarPath '{options.SidecarPath}' is a JIT assembly; the guest runs only the Native AOT Shadow.Sidecar binary.");
        }

        if (!string.IsNullOrWhiteSpace(options.ImageScriptPath) && !File.Exists(options.ImageScriptPath))
        {
            errors.Add($"{Section}:ImageScriptPath '{options.ImageScriptPath}' does not exist; point it at eng/microvm/build-image.sh.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

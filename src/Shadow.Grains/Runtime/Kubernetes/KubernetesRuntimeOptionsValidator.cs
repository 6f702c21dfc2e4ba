using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Shadow.Grains.Runtime.Kubernetes;

/// <summary>Checks <see cref="KubernetesRuntimeOptions"/>; every failure names its setting.</summary>
internal sealed partial class KubernetesRuntimeOptionsValidator : IValidateOptions<KubernetesRuntimeOptions>
{
    private const string Section = KubernetesRuntimeOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, KubernetesRuntimeOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        List<string> failures = [];
        if (!IsDnsLabel(options.Namespace))
        {
            failures.Add($"{Section}:Namespace '{options.Namespace}' is not a namespace name (lower-case letters, digits and '-', at most 63, starting and ending with a letter or digit).");
        }

        if (string.IsNullOrWhiteSpace(options.Image))
        {
            failures.Add($"{Section}:Image is required: the sidecar image workspace pods run (e.g. registry.example.com/shadow-sidecar:1.0).");
        }
        else if (options.Image.Any(char.IsWhiteSpace))
        {
            failures.Add($"{Section}:Image '{options.Image}' must not contain whitespace.");
        }

        if (options.ImagePullPolicy is not ("Always" or "IfNotPresent" or "Never"))
        {
            failures.Add($"{Section}:ImagePullPolicy must be Always, IfNotPresent or Never (is '{options.ImagePullPolicy}').");
        }

        if (!string.IsNullOrEmpty(options.RuntimeClassName) && !IsDnsSubdomain(options.RuntimeClassName))
        {
            failures.Add($"{Section}:RuntimeClassName '{options.RuntimeClassName}' is not a RuntimeClass name (lower-case DNS subdomain).");
        }

        if (!string.IsNullOrEmpty(options.KubeConfigPath) && !File.Exists(options.KubeConfigPath))
        {
            failures.Add($"{Section}:KubeConfigPath '{options.KubeConfigPath}' does not exist; point it at a kubeconfig file, or leave it empty to use the in-cluster service account.");
        }

        if (options.SidecarPort is < 1 or > 65535)
        {
            failures.Add($"{Section}:SidecarPort must be a TCP port between 1 and 65535 (is {options.SidecarPort}).");
        }

        CheckQuantity(failures, "CpuRequest", options.CpuRequest);
        CheckQuantity(failures, "CpuLimit", options.CpuLimit);
        CheckQuantity(failures, "MemoryRequest", options.MemoryRequest);
        CheckQuantity(failures, "MemoryLimit", options.MemoryLimit);
        CheckQuantity(failures, "WorkspaceSizeLimit", options.WorkspaceSizeLimit);

        if (options.RunAsUser is < 1 or > int.MaxValue)
        {
            failures.Add($"{Section}:RunAsUser must be a non-root user id (1 or more; is {options.RunAsUser}).");
        }

        if (options.ReadyTimeout < TimeSpan.FromSeconds(1) || options.ReadyTimeout > TimeSpan.FromMinutes(30))
        {
            failures.Add($"{Section}:ReadyTimeout must be between 1 second and 30 minutes (is {options.ReadyTimeout}).");
        }

        if (options.TerminationGracePeriodSeconds is < 0 or > 600)
        {
            failures.Add($"{Section}:TerminationGracePeriodSeconds must be between 0 and 600 (is {options.TerminationGracePeriodSeconds}).");
        }

        if (ParseSelector(options.SiloPodSelector) is null)
        {
            failures.Add($"{Section}:SiloPodSelector '{options.SiloPodSelector}' must be one or more key=value labels separated by commas (the silo pods' labels).");
        }

        if (!string.IsNullOrEmpty(options.SiloNamespace) && !IsDnsLabel(options.SiloNamespace))
        {
            failures.Add($"{Section}:SiloNamespace '{options.SiloNamespace}' is not a namespace name.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>The labels of a <c>key=value,key=value</c> selector, or null when it is not one.</summary>
    internal static Dictionary<string, string>? ParseSelector(string? selector)
    {
        if (string.IsNullOrWhiteSpace(selector))
        {
            return null;
        }

        Dictionary<string, string> labels = new(StringComparer.Ordinal);
        foreach (var part in selector.Split(',', StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || !LabelKey().IsMatch(part[..eq]) || !LabelValue().IsMatch(part[(eq + 1)..]))
            {
                return null;
            }

            labels[part[..eq]] = part[(eq + 1)..];
        }

        return labels;
    }

    internal static bool IsDnsLabel(string? value) => value is { Length: > 0 and <= 63 } && DnsLabel().IsMatch(value);

    private static bool IsDnsSubdomain(string value) => value.Length <= 253 && DnsSubdomain().IsMatch(value);

    private static void CheckQuantity(List<string> failures, string setting, string? value)
    {
        if (string.IsNullOrEmpty(value) || !Quantity().IsMatch(value))
        {
            failures.Add($"{Section}:{setting} '{value}' is not a Kubernetes quantity (e.g. 500m, 2, 256Mi, 10Gi).");
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsSubdomain();

    [GeneratedRegex("^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelKey();

    [GeneratedRegex("^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelValue();

    [GeneratedRegex("^([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$", RegexOptions.CultureInvariant)]
    private static partial Regex Quantity();
}

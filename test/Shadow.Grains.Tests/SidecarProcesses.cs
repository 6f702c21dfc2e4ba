using Shadow.Testing;
using Shouldly;

namespace Shadow.Grains.Tests;

/// <summary>The sidecar processes of a test cluster, found through <c>/proc</c> by the workspace folder on their command line.</summary>
internal static class SidecarProcesses
{
    /// <summary>Kills the instance's sidecar processes and waits for them to exit.</summary>
    public static List<int> Kill(string instanceId)
    {
        var pids = Of(instanceId);
        foreach (var pid in pids)
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill();
            process.WaitForExit(10_000);
        }

        return pids;
    }

    /// <summary>Sidecar processes whose command line names the instance's workspace folder.</summary>
    public static List<int> Of(string instanceId) => SidecarProcessScan.Matching("/workspaces/" + instanceId);

    /// <summary>Fails when any sidecar runs under the cluster's data folder.</summary>
    public static void ShouldHaveNoneRunning(ShadowCluster shadow)
    {
        var data = shadow.DataDir;
        SidecarProcessScan.Matching(data).ShouldBeEmpty($"sidecars still running under {data}");
    }
}

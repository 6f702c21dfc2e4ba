using System.Runtime.InteropServices;

namespace Shadow.Kubernetes.Simulation;

internal static partial class Posix
{
    public const int SigTerm = 15;

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);
}

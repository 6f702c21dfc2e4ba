using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Shadow.Sidecar.Exec;

/// <summary>
/// Starts a child with <c>posix_spawn</c> straight into a new session (<c>POSIX_SPAWN_SETSID</c>): the child's pid is its
/// session and process group id, with no <c>setsid</c> program exec'd in between. All signals are reset to their default
/// disposition (the runtime ignores SIGPIPE, and ignored signals survive exec) and none is blocked. Every descriptor the
/// runtime opens is close-on-exec, so the child gets exactly fds 0-2. glibc's posix_spawn uses
/// <c>clone(CLONE_VM|CLONE_VFORK)</c>, so the cost does not grow with the sidecar's size, and it reports exec failures as
/// its return value. Plain libc calls: fine under Native AOT.
/// </summary>
internal static unsafe partial class NativeSpawn
{
    private const int PosixSpawnSetSigDef = 0x04;
    private const int PosixSpawnSetSigMask = 0x08;
    private const int PosixSpawnSetSid = 0x80;
    private const int OCloexec = 0x80000;
    private const int ORdOnly = 0;
    private const int Eintr = 4;
    private const int Echild = 10;
    private const int Wnohang = 1;

    // Opaque libc structures, allocated larger than any libc needs (glibc x86-64: 336, 80 and 128 bytes).
    private const int SpawnAttrBytes = 1024;
    private const int FileActionsBytes = 512;
    private const int SigSetBytes = 256;

    /// <summary>What <see cref="TryReap"/> found.</summary>
    public enum ReapResult
    {
        Running,
        Exited,
        NotOurs,
    }

    /// <summary>A pipe whose both ends are close-on-exec (the child gets its end through dup2, which clears the flag).</summary>
    public static (SafeFileHandle Read, SafeFileHandle Write) CreatePipe()
    {
        var fds = stackalloc int[2];
        if (Pipe2(fds, OCloexec) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError());
        }

        return (new SafeFileHandle(fds[0], ownsHandle: true), new SafeFileHandle(fds[1], ownsHandle: true));
    }

    /// <summary>
    /// Starts <paramref name="path"/> in a new session; stdin is <paramref name="stdin"/> or <c>/dev/null</c>. Returns the pid;
    /// throws <see cref="Win32Exception"/> when it cannot start.
    /// </summary>
    public static int Spawn(string path, IReadOnlyList<string> argv, IReadOnlyList<string> environment, string? cwd, SafeFileHandle? stdin,
        SafeFileHandle stdout, SafeFileHandle stderr)
    {
        var strings = new List<nint>(argv.Count + environment.Count + 4);
        var attr = NativeMemory.AllocZeroed(SpawnAttrBytes);
        var actions = NativeMemory.AllocZeroed(FileActionsBytes);
        var sigDefault = NativeMemory.AllocZeroed(SigSetBytes);
        var sigMask = NativeMemory.AllocZeroed(SigSetBytes);
        var argvBlock = (nint*)NativeMemory.AllocZeroed((nuint)(argv.Count + 1), (nuint)sizeof(nint));
        var envBlock = (nint*)NativeMemory.AllocZeroed((nuint)(environment.Count + 1), (nuint)sizeof(nint));
        var attrReady = false;
        var actionsReady = false;
        var refs = new List<SafeFileHandle>(3);
        try
        {
            for (var i = 0; i < argv.Count; i++)
            {
                argvBlock[i] = Utf8(argv[i], strings);
            }

            for (var i = 0; i < environment.Count; i++)
            {
                envBlock[i] = Utf8(environment[i], strings);
            }

            Check(PosixSpawnattrInit(attr));
            attrReady = true;
            Check(PosixSpawnattrSetflags(attr, (short)(PosixSpawnSetSid | PosixSpawnSetSigDef | PosixSpawnSetSigMask)));
            CheckErrno(SigFillSet(sigDefault));
            CheckErrno(SigEmptySet(sigMask));
            Check(PosixSpawnattrSetsigdefault(attr, sigDefault));
            Check(PosixSpawnattrSetsigmask(attr, sigMask));

            Check(PosixSpawnFileActionsInit(actions));
            actionsReady = true;
            if (stdin is null)
            {
                Check(PosixSpawnFileActionsAddopen(actions, 0, (byte*)Utf8("/dev/null", strings), ORdOnly, 0));
            }
            else
            {
                Check(PosixSpawnFileActionsAdddup2(actions, Fd(stdin, refs), 0));
            }

            Check(PosixSpawnFileActionsAdddup2(actions, Fd(stdout, refs), 1));
            Check(PosixSpawnFileActionsAdddup2(actions, Fd(stderr, refs), 2));
            if (cwd is not null)
            {
                Check(PosixSpawnFileActionsAddchdirNp(actions, (byte*)Utf8(cwd, strings)));
            }

            int pid;
            var error = PosixSpawn(&pid, (byte*)Utf8(path, strings), actions, attr, argvBlock, envBlock);
            Check(error);
            return pid;
        }
        finally
        {
            foreach (var handle in refs)
            {
                handle.DangerousRelease();
            }

            if (actionsReady)
            {
                _ = PosixSpawnFileActionsDestroy(actions);
            }

            if (attrReady)
            {
                _ = PosixSpawnattrDestroy(attr);
            }

            foreach (var s in strings)
            {
                NativeMemory.Free((void*)s);
            }

            NativeMemory.Free(argvBlock);
            NativeMemory.Free(envBlock);
            NativeMemory.Free(sigMask);
            NativeMemory.Free(sigDefault);
            NativeMemory.Free(actions);
            NativeMemory.Free(attr);
        }
    }

    /// <summary>waitpid(pid, WNOHANG): reaps our own child if it has ended; its exit code is 128 + signal when a signal ended it.</summary>
    public static ReapResult TryReap(int pid, out int exitCode)
    {
        exitCode = -1;
        int status;
        int result;
        do
        {
            result = WaitPid(pid, &status, Wnohang);
        }
        while (result < 0 && Marshal.GetLastPInvokeError() == Eintr);

        if (result == 0)
        {
            return ReapResult.Running;
        }

        if (result < 0)
        {
            // ECHILD: someone else reaped it (only possible if the sidecar was started with SIGCHLD ignored).
            return Marshal.GetLastPInvokeError() == Echild ? ReapResult.NotOurs : ReapResult.Running;
        }

        var signal = status & 0x7f;
        exitCode = signal == 0 ? (status >> 8) & 0xff : 128 + signal;
        return ReapResult.Exited;
    }

    /// <summary>Blocking read; 0 at end of file. Throws <see cref="IOException"/> on error.</summary>
    public static int Read(SafeFileHandle handle, Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            nint result;
            do
            {
                result = NativeRead(handle, p, (nuint)buffer.Length);
            }
            while (result < 0 && Marshal.GetLastPInvokeError() == Eintr);

            return result >= 0 ? (int)result : throw new IOException($"read failed (errno {Marshal.GetLastPInvokeError()}).");
        }
    }

    /// <summary>Writes all of <paramref name="bytes"/>; false when the reader is gone (EPIPE: the runtime ignores SIGPIPE).</summary>
    public static bool WriteAll(SafeFileHandle handle, ReadOnlySpan<byte> bytes)
    {
        fixed (byte* p = bytes)
        {
            var done = 0;
            while (done < bytes.Length)
            {
                var result = NativeWrite(handle, p + done, (nuint)(bytes.Length - done));
                if (result < 0)
                {
                    if (Marshal.GetLastPInvokeError() == Eintr)
                    {
                        continue;
                    }

                    return false;
                }

                done += (int)result;
            }

            return true;
        }
    }

    private static int Fd(SafeFileHandle handle, List<SafeFileHandle> refs)
    {
        var added = false;
        handle.DangerousAddRef(ref added);
        refs.Add(handle);
        return (int)handle.DangerousGetHandle();
    }

    private static nint Utf8(string value, List<nint> owned)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        var block = (byte*)NativeMemory.Alloc((nuint)count + 1);
        owned.Add((nint)block);
        Encoding.UTF8.GetBytes(value, new Span<byte>(block, count));
        block[count] = 0;
        return (nint)block;
    }

    private static void Check(int error)
    {
        if (error != 0)
        {
            throw new Win32Exception(error);
        }
    }

    private static void CheckErrno(int result)
    {
        if (result != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError());
        }
    }

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    private static partial int Pipe2(int* fds, int flags);

    [LibraryImport("libc", EntryPoint = "posix_spawn")]
    private static partial int PosixSpawn(int* pid, byte* path, void* fileActions, void* attr, nint* argv, nint* envp);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_init")]
    private static partial int PosixSpawnattrInit(void* attr);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_destroy")]
    private static partial int PosixSpawnattrDestroy(void* attr);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setflags")]
    private static partial int PosixSpawnattrSetflags(void* attr, short flags);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigdefault")]
    private static partial int PosixSpawnattrSetsigdefault(void* attr, void* sigset);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigmask")]
    private static partial int PosixSpawnattrSetsigmask(void* attr, void* sigset);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_init")]
    private static partial int PosixSpawnFileActionsInit(void* actions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_destroy")]
    private static partial int PosixSpawnFileActionsDestroy(void* actions);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_adddup2")]
    private static partial int PosixSpawnFileActionsAdddup2(void* actions, int fd, int newFd);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addopen")]
    private static partial int PosixSpawnFileActionsAddopen(void* actions, int fd, byte* path, int flags, uint mode);

    [LibraryImport("libc", EntryPoint = "posix_spawn_file_actions_addchdir_np")]
    private static partial int PosixSpawnFileActionsAddchdirNp(void* actions, byte* path);

    [LibraryImport("libc", EntryPoint = "sigfillset", SetLastError = true)]
    private static partial int SigFillSet(void* set);

    [LibraryImport("libc", EntryPoint = "sigemptyset", SetLastError = true)]
    private static partial int SigEmptySet(void* set);

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    private static partial int WaitPid(int pid, int* status, int options);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    private static partial nint NativeRead(SafeFileHandle fd, byte* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint NativeWrite(SafeFileHandle fd, byte* buffer, nuint count);
}

using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace AlertPipeline.Shipper.Sources;

/// <summary>
/// The inode of a file, which is how a follower tells "the path now names a new file" (rotation) from "the file grew".
/// .NET does not expose it, so it is read with libc's <c>stat</c>/<c>fstat</c> on Linux; <c>st_ino</c> sits at byte 8 of
/// <c>struct stat</c> on both x86-64 and arm64. Elsewhere (or if libc cannot be called) it is 0, "unknown", and only
/// truncation is detected.
/// </summary>
internal static partial class FileIdentity
{
    private const int StatBufferSize = 256;

    /// <summary>The inode at <paramref name="path"/>; null when nothing is there, 0 when unknown.</summary>
    public static long? OfPath(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        try
        {
            var buffer = new byte[StatBufferSize];
            return Stat(path, buffer) == 0 ? BitConverter.ToInt64(buffer, 8) : null;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>The inode of the open file <paramref name="handle"/>, 0 when unknown.</summary>
    public static long OfHandle(SafeFileHandle handle)
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        try
        {
            var buffer = new byte[StatBufferSize];
            return FStat((int)handle.DangerousGetHandle(), buffer) == 0 ? BitConverter.ToInt64(buffer, 8) : 0;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return 0;
        }
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, [Out] byte[] buffer);

    [LibraryImport("libc", EntryPoint = "fstat")]
    private static partial int FStat(int fd, [Out] byte[] buffer);
}

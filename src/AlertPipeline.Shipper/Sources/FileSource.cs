namespace AlertPipeline.Shipper.Sources;

/// <summary>
/// Follows one file like <c>tail -F</c>: reads complete lines as they are appended; notices rotation (the path now
/// names a file with another inode: the old file is read to its end, then the new one from its start) and truncation
/// (the file is shorter than what was read: read again from the start). A missing file is waited for.
/// </summary>
public sealed class FileSource : ILineSource
{
    private readonly LineBuffer _lines = new();
    private FileStream? _stream;
    private long _lineStart; // offset of the first byte not yet given as a line
    private long _resumeAt;
    private long _resumeIdentity;
    private ulong _resumeFingerprint;

    /// <summary>Follows <paramref name="path"/>, resuming at <paramref name="resume"/> when it still names the same file.</summary>
    public FileSource(string path, FilePosition? resume = null, bool endIsEndOfLine = false)
    {
        Name = path;
        EndIsEndOfLine = endIsEndOfLine;
        _resumeAt = resume?.Offset ?? 0;
        _resumeIdentity = resume?.Identity ?? 0;
        _resumeFingerprint = resume?.Fingerprint ?? 0;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>When true (a one-shot run), an unterminated last line at the end of the file is given as a line.</summary>
    public bool EndIsEndOfLine { get; }

    /// <inheritdoc />
    public bool Finished => false;

    /// <summary>Times the file was replaced under its path.</summary>
    public int Rotations { get; private set; }

    /// <summary>Times the file was found shorter than what had been read.</summary>
    public int Truncations { get; private set; }

    /// <summary>Where to resume after everything given so far has been shipped.</summary>
    public FilePosition Position => new(Identity, _lineStart, _stream is null ? 0 : Fingerprint(_stream, _lineStart));

    /// <summary>The inode of the file being read (0 when unknown or not open).</summary>
    public long Identity { get; private set; }

    /// <inheritdoc />
    public bool TryReadLine(out ReadOnlyMemory<byte> line, out long offset)
    {
        while (true)
        {
            offset = _lineStart;
            if (_lines.TryTakeLine(out line, out var consumed))
            {
                _lineStart += consumed;
                return true;
            }

            if (_stream is null && !TryOpen())
            {
                return false;
            }

            if (_lines.Fill(_stream!) > 0)
            {
                continue;
            }

            // At the end of what is there now: has the file been truncated or replaced?
            if (_stream!.Length < _lineStart + _lines.Pending)
            {
                Truncations++;
                _stream.Position = 0;
                _lines.Clear();
                _lineStart = 0;
                continue;
            }

            var atPath = FileIdentity.OfPath(Name);
            if (atPath is { } current && current != Identity && Identity != 0)
            {
                // Rotated: the old file will not grow, so its unterminated tail is a line of its own.
                if (_lines.TryTakeRest(out line, out consumed))
                {
                    _lineStart += consumed;
                    return true;
                }

                Rotations++;
                Close();
                _resumeAt = 0;
                _resumeIdentity = 0;
                continue;
            }

            if (EndIsEndOfLine && _lines.TryTakeRest(out line, out consumed))
            {
                _lineStart += consumed;
                return true;
            }

            line = default;
            return false;
        }
    }

    /// <inheritdoc />
    public void Dispose() => Close();

    private bool TryOpen()
    {
        try
        {
            _stream = new FileStream(Name, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException or IOException)
        {
            return false;
        }

        Identity = FileIdentity.OfHandle(_stream.SafeFileHandle);
        _lines.Clear();
        _lineStart = 0;

        // Resume only in the same file, and only if it was not truncated below the saved offset meanwhile. Inode numbers
        // are reused (a file deleted and recreated while the shipper was stopped often gets the same one), so the
        // file's first bytes must also be the ones seen before.
        if (_resumeAt > 0 && _resumeIdentity == Identity && _stream.Length >= _resumeAt
            && Fingerprint(_stream, _resumeAt) == _resumeFingerprint)
        {
            _stream.Position = _resumeAt;
            _lineStart = _resumeAt;
        }

        _resumeAt = 0;
        return true;
    }

    /// <summary>FNV-1a of the file's first bytes (up to 256, and not past <paramref name="upTo"/>), read without moving the stream.</summary>
    private static ulong Fingerprint(FileStream stream, long upTo)
    {
        Span<byte> head = stackalloc byte[256];
        var length = RandomAccess.Read(stream.SafeFileHandle, head[..(int)Math.Min(upTo, head.Length)], 0);
        var hash = 14695981039346656037UL;
        foreach (var b in head[..length])
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    private void Close()
    {
        _stream?.Dispose();
        _stream = null;
        _lines.Clear();
        _lineStart = 0;
    }
}

/// <summary>A saved place in a followed file.</summary>
/// <param name="Identity">The file's inode when the position was saved (0 when unknown).</param>
/// <param name="Offset">The byte offset of the first line not yet shipped.</param>
/// <param name="Fingerprint">A hash of the file's first bytes (up to 256, not past <paramref name="Offset"/>): tells a new file that reused the inode from the same file.</param>
public readonly record struct FilePosition(long Identity, long Offset, ulong Fingerprint = 0);

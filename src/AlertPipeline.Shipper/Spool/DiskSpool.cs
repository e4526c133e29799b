using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using AlertPipeline.Shipper.Send;

namespace AlertPipeline.Shipper.Spool;

/// <summary>
/// A bounded, ordered, on-disk queue of events the hub could not take. Events are appended to numbered segment files
/// and read back oldest segment first, so draining keeps the order they were spooled in. Past <see cref="MaxBytes"/>
/// nothing more is accepted: the caller counts and reports what it could not spool.
/// </summary>
/// <remarks>
/// A record is <c>[key length][key][source length][source][offset:8][body length][body]</c>, lengths as 4-byte little endian.
/// A record torn by a crash ends its segment's readable part; the rest of that segment is lost, the events before it are not.
/// </remarks>
public sealed class DiskSpool : IDisposable
{
    private const string Extension = ".spool";
    private readonly string _directory;
    private readonly long _segmentBytes;
    private readonly SortedDictionary<long, long> _segments = []; // segment number -> bytes
    private FileStream? _writer;
    private long _writerSegment = -1;

    /// <summary>Opens (or creates) the spool in <paramref name="directory"/>, taking over segments a previous run left.</summary>
    public DiskSpool(string directory, long maxBytes, long? segmentBytes = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBytes, 1024);
        _directory = directory;
        MaxBytes = maxBytes;
        _segmentBytes = segmentBytes ?? Math.Clamp(maxBytes / 8, 64 * 1024, 8 * 1024 * 1024);
        Directory.CreateDirectory(directory);
        foreach (var file in Directory.EnumerateFiles(directory, "*" + Extension))
        {
            if (long.TryParse(Path.GetFileNameWithoutExtension(file), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                _segments[number] = new FileInfo(file).Length;
            }
        }

        Bytes = _segments.Values.Sum();
    }

    /// <summary>Most bytes the spool holds on disk.</summary>
    public long MaxBytes { get; }

    /// <summary>Bytes the spool holds now.</summary>
    public long Bytes { get; private set; }

    /// <summary>True when nothing is waiting.</summary>
    public bool IsEmpty => _segments.Count == 0;

    /// <summary>
    /// Appends <paramref name="events"/> in order until the spool is full. Returns how many leading events were
    /// spooled; the rest did not fit. Written to disk (flushed) before it returns.
    /// </summary>
    public int Append(IReadOnlyList<OutgoingEvent> events)
    {
        var appended = 0;
        byte[] scratch = [];
        foreach (var e in events)
        {
            var size = RecordSize(e);
            if (Bytes + size > MaxBytes)
            {
                break;
            }

            if (_writer is null || _writer.Length + size > _segmentBytes && _writer.Length > 0)
            {
                OpenNewSegment();
            }

            if (scratch.Length < size)
            {
                scratch = new byte[Math.Max(size, 4096)];
            }

            var written = Write(e, scratch);
            _writer!.Write(scratch, 0, written);
            _segments[_writerSegment] += written;
            Bytes += written;
            appended++;
        }

        _writer?.Flush(flushToDisk: true);
        return appended;
    }

    /// <summary>The events of the oldest segment, in order; empty when the spool is empty. Seals that segment if it is being written.</summary>
    public IReadOnlyList<OutgoingEvent> ReadHead()
    {
        if (_segments.Count == 0)
        {
            return [];
        }

        var head = _segments.Keys.First();
        if (head == _writerSegment)
        {
            CloseWriter();
        }

        var content = File.ReadAllBytes(SegmentPath(head));
        var events = new List<OutgoingEvent>();
        var pos = 0;
        while (TryRead(content, ref pos, out var e))
        {
            events.Add(e);
        }

        return events;
    }

    /// <summary>Deletes the oldest segment once all its events were sent.</summary>
    public void RemoveHead()
    {
        if (_segments.Count == 0)
        {
            return;
        }

        var head = _segments.Keys.First();
        if (head == _writerSegment)
        {
            CloseWriter();
        }

        File.Delete(SegmentPath(head));
        Bytes -= _segments[head];
        _segments.Remove(head);
    }

    /// <inheritdoc />
    public void Dispose() => CloseWriter();

    private void OpenNewSegment()
    {
        CloseWriter();
        _writerSegment = _segments.Count == 0 ? 1 : _segments.Keys.Last() + 1;
        _segments[_writerSegment] = 0;
        _writer = new FileStream(SegmentPath(_writerSegment), FileMode.Append, FileAccess.Write, FileShare.Read, 64 * 1024);
    }

    private void CloseWriter()
    {
        _writer?.Dispose();
        _writer = null;
        _writerSegment = -1;
    }

    private string SegmentPath(long number) => Path.Combine(_directory, number.ToString("D12", CultureInfo.InvariantCulture) + Extension);

    private static int RecordSize(in OutgoingEvent e)
        => 4 + Encoding.UTF8.GetByteCount(e.PartitionKey) + 4 + Encoding.UTF8.GetByteCount(e.Source) + 8 + 4 + e.Body.Length;

    private static int Write(in OutgoingEvent e, byte[] buffer)
    {
        var span = buffer.AsSpan();
        var pos = WriteString(span, 0, e.PartitionKey);
        pos = WriteString(span, pos, e.Source);
        BinaryPrimitives.WriteInt64LittleEndian(span[pos..], e.Offset);
        pos += 8;
        BinaryPrimitives.WriteInt32LittleEndian(span[pos..], e.Body.Length);
        pos += 4;
        e.Body.Span.CopyTo(span[pos..]);
        return pos + e.Body.Length;
    }

    private static int WriteString(Span<byte> span, int pos, string value)
    {
        var length = Encoding.UTF8.GetBytes(value, span[(pos + 4)..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[pos..], length);
        return pos + 4 + length;
    }

    private static bool TryRead(byte[] content, ref int pos, out OutgoingEvent e)
    {
        e = default;
        var start = pos;
        if (!TryReadString(content, ref pos, out var key) || !TryReadString(content, ref pos, out var source)
            || content.Length - pos < 12)
        {
            pos = start;
            return false;
        }

        var offset = BinaryPrimitives.ReadInt64LittleEndian(content.AsSpan(pos));
        var length = BinaryPrimitives.ReadInt32LittleEndian(content.AsSpan(pos + 8));
        pos += 12;
        if (length < 0 || content.Length - pos < length)
        {
            pos = start;
            return false;
        }

        e = new OutgoingEvent(key, content.AsMemory(pos, length), source, offset);
        pos += length;
        return true;
    }

    private static bool TryReadString(byte[] content, ref int pos, out string value)
    {
        value = string.Empty;
        if (content.Length - pos < 4)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadInt32LittleEndian(content.AsSpan(pos));
        if (length < 0 || content.Length - pos - 4 < length)
        {
            return false;
        }

        value = Encoding.UTF8.GetString(content, pos + 4, length);
        pos += 4 + length;
        return true;
    }
}

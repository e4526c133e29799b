namespace AlertPipeline.Shipper.Sources;

/// <summary>
/// Splits bytes read from a stream into lines, reusing one buffer. A line longer than <see cref="MaxLineBytes"/> is cut
/// there and the cut piece given as a line (the pipeline rejects it with a reason; the shipper never stalls on it).
/// </summary>
internal sealed class LineBuffer
{
    public const int MaxLineBytes = 1024 * 1024;

    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>Bytes held that do not yet end in a line break.</summary>
    public int Pending => _end - _start;

    public void Clear() => _start = _end = 0;

    /// <summary>The next complete line, or false; <paramref name="consumed"/> counts the bytes it took, line break included.</summary>
    public bool TryTakeLine(out ReadOnlyMemory<byte> line, out int consumed)
    {
        var index = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
        if (index < 0 && _end - _start >= MaxLineBytes)
        {
            index = MaxLineBytes;
            line = _buffer.AsMemory(_start, index);
            consumed = index;
            _start += index;
            return true;
        }

        if (index < 0)
        {
            line = default;
            consumed = 0;
            return false;
        }

        var length = index > 0 && _buffer[_start + index - 1] == (byte)'\r' ? index - 1 : index;
        line = _buffer.AsMemory(_start, length);
        consumed = index + 1;
        _start += index + 1;
        return true;
    }

    /// <summary>Whatever is held, as a last line without a break (the end of a finished input).</summary>
    public bool TryTakeRest(out ReadOnlyMemory<byte> line, out int consumed)
    {
        consumed = _end - _start;
        line = _buffer.AsMemory(_start, consumed);
        _start = _end;
        return consumed > 0;
    }

    /// <summary>Reads more from <paramref name="stream"/>; returns the bytes read (0 at its current end).</summary>
    public int Fill(Stream stream)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Min(_buffer.Length * 2, MaxLineBytes + 1));
        }

        var read = stream.Read(_buffer, _end, _buffer.Length - _end);
        _end += read;
        return read;
    }
}

using System.Threading.Channels;

namespace AlertPipeline.Shipper.Sources;

/// <summary>
/// Lines from a stream such as standard input. A background reader copies lines into a bounded queue, so an idle pipe
/// never blocks the shipper's loop (heartbeats and retries go on). Positions are not saved: a pipe cannot be re-read.
/// </summary>
public sealed class StreamSource : ILineSource
{
    private readonly Stream _stream;
    private readonly Channel<byte[]> _lines = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(10_000) { SingleReader = true, SingleWriter = true });
    private readonly Task _reader;
    private long _number;

    /// <summary>Starts reading <paramref name="stream"/> in the background.</summary>
    public StreamSource(Stream stream, string name = "stdin")
    {
        _stream = stream;
        Name = name;
        _reader = Task.Run(ReadAllAsync);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    public bool Finished => _lines.Reader.Completion.IsCompleted;

    /// <summary>Completes when the stream has ended and every line was queued.</summary>
    public Task Completion => _reader;

    /// <inheritdoc />
    public bool TryReadLine(out ReadOnlyMemory<byte> line, out long offset)
    {
        if (_lines.Reader.TryRead(out var bytes))
        {
            line = bytes;
            offset = ++_number;
            return true;
        }

        line = default;
        offset = _number;
        return false;
    }

    /// <inheritdoc />
    public void Dispose() => _stream.Dispose();

    private async Task ReadAllAsync()
    {
        var buffer = new LineBuffer();
        try
        {
            while (true)
            {
                while (buffer.TryTakeLine(out var line, out _))
                {
                    await _lines.Writer.WriteAsync(line.ToArray()).ConfigureAwait(false);
                }

                if (buffer.Fill(_stream) == 0)
                {
                    if (buffer.TryTakeRest(out var rest, out _))
                    {
                        await _lines.Writer.WriteAsync(rest.ToArray()).ConfigureAwait(false);
                    }

                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // A closed pipe is the end of the input.
        }
        finally
        {
            _lines.Writer.TryComplete();
        }
    }
}

namespace AlertPipeline.Shipper.Sources;

/// <summary>A source of telemetry lines: a followed file or a stream such as standard input.</summary>
public interface ILineSource : IDisposable
{
    /// <summary>Name used in reports and as the key of saved positions (the file path, or <c>stdin</c>).</summary>
    string Name { get; }

    /// <summary>True once the source can give nothing more (a closed stream); a followed file is never finished.</summary>
    bool Finished { get; }

    /// <summary>
    /// The next complete line without its line break, or false when none is available now. The memory is valid until
    /// the next call. <paramref name="offset"/> is the line's byte offset (files) or number (streams).
    /// </summary>
    bool TryReadLine(out ReadOnlyMemory<byte> line, out long offset);
}

namespace AlertPipeline.Shipper.Send;

/// <summary>
/// Sends recorded telemetry files (e.g. <c>samples/rome-incident/*.jsonl</c>) to a hub, to smoke-test a deployment:
/// in a <c>.jsonl</c>/<c>.ndjson</c> file every non-empty line is one event, any other file is one event (as the
/// replay command reads them). Partition keys are found as the shipper finds them (<see cref="RecordStamper"/>).
/// No spool: a failure stops the run and is reported.
/// </summary>
public sealed class RecordedTelemetrySender(IEventSender sender, string? sandboxId = null, int chunk = 500)
{
    private readonly PartitionedSender _sender = new(sender);
    private readonly RecordStamper _stamper = new(sandboxId);

    /// <summary>What was sent, in total and per partition key.</summary>
    public SendTotals Totals => _sender.Totals;

    /// <summary>Called for each event skipped because it is larger than a batch can be.</summary>
    public Action<OutgoingEvent>? OnOversized
    {
        get => _sender.OnOversized;
        set => _sender.OnOversized = value;
    }

    /// <summary>Events read from the files.</summary>
    public long Read { get; private set; }

    /// <summary>
    /// Sends every file in order; <paramref name="progress"/> is called with (events settled, events in all files) after each chunk.
    /// Returns the failure that stopped the run, or null.
    /// </summary>
    public async Task<Exception?> SendAsync(IReadOnlyList<string> paths, Action<long, long>? progress, CancellationToken cancellationToken)
    {
        var events = new List<OutgoingEvent>();
        foreach (var path in paths)
        {
            var content = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
            if (!IsLines(path))
            {
                Add(events, content, path, 1);
                continue;
            }

            ReadOnlyMemory<byte> rest = content;
            var line = 0;
            while (!rest.IsEmpty)
            {
                line++;
                var end = rest.Span.IndexOf((byte)'\n');
                Add(events, end < 0 ? rest : rest[..end], path, line);
                rest = end < 0 ? ReadOnlyMemory<byte>.Empty : rest[(end + 1)..];
            }
        }

        Read = events.Count;
        var settled = new bool[chunk];
        for (var start = 0; start < events.Count; start += chunk)
        {
            var part = events.GetRange(start, Math.Min(chunk, events.Count - start));
            Array.Clear(settled);
            var failure = await _sender.SendAsync(part, settled, cancellationToken).ConfigureAwait(false);
            if (failure is not null)
            {
                return failure;
            }

            progress?.Invoke(start + part.Count, events.Count);
        }

        return null;
    }

    private void Add(List<OutgoingEvent> events, ReadOnlyMemory<byte> body, string path, long line)
    {
        if (_stamper.TryStamp(body, path, line, out var outgoing))
        {
            events.Add(outgoing);
        }
    }

    private static bool IsLines(string path)
        => path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) || path.EndsWith(".ndjson", StringComparison.OrdinalIgnoreCase);
}

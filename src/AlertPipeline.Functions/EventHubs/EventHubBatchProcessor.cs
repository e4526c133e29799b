using AlertPipeline.Core.Pipeline;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Functions.EventHubs;

/// <summary>
/// The one body of every Event Hubs function: read the batch's source from the binding data, build the messages,
/// run the pipeline, log the outcome. Parse problems are dead-lettered inside the pipeline and never throw; a failure
/// of the pipeline itself (a store unreachable) propagates so the host's retry policy re-runs the same batch, which
/// is safe because alert ids are deterministic and dead letters overwrite by position.
/// </summary>
public sealed partial class EventHubBatchProcessor
{
    private readonly TelemetryPipeline _pipeline;
    private readonly IConfiguration _configuration;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the processor over the composed pipeline.</summary>
    public EventHubBatchProcessor(TelemetryPipeline pipeline, IConfiguration configuration, TimeProvider time, ILogger<EventHubBatchProcessor> logger)
    {
        _pipeline = pipeline;
        _configuration = configuration;
        _time = time;
        _logger = logger;
    }

    /// <summary>Processes a trigger batch with the binding data the host delivered with it.</summary>
    /// <param name="function">The function's name, for logs.</param>
    /// <param name="hubSetting">The trigger's hub reference (<c>%Setting%</c>), naming the hub when the partition context does not.</param>
    /// <param name="bodies">The events' bodies, in partition order.</param>
    /// <param name="context">The invocation's context, holding the binding data.</param>
    /// <param name="cancellationToken">Signals host shutdown.</param>
    public Task<PipelineResult> ProcessAsync(
        string function, string hubSetting, IReadOnlyList<byte[]> bodies, FunctionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ProcessAsync(function, hubSetting, bodies, context.BindingContext.BindingData, cancellationToken);
    }

    /// <summary>Processes a trigger batch given its binding data explicitly.</summary>
    internal async Task<PipelineResult> ProcessAsync(
        string function, string hubSetting, IReadOnlyList<byte[]> bodies, IReadOnlyDictionary<string, object?> bindingData, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bodies);
        ArgumentNullException.ThrowIfNull(bindingData);
        var source = EventHubBatch.ReadSource(bindingData, ResolveSetting(hubSetting));
        var messages = EventHubBatch.ToMessages(bodies, source, _time.GetUtcNow());
        if (messages.Length == 0)
        {
            return new PipelineResult(0, [], []);
        }

        var first = messages[0].Sequence;
        var last = messages[^1].Sequence;
        try
        {
            var result = await _pipeline.ProcessAsync(messages, cancellationToken).ConfigureAwait(false);
            LogBatchProcessed(function, source.Stream, first, last, messages.Length, result.EventsAccepted, result.Rejected.Count, result.Alerts.Count);
            return result;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Logged with the batch's position so the retry (or, once retries run out, the skipped batch) can be traced.
            LogBatchFailed(ex, function, source.Stream, first, last, source.Offsets is [var firstOffset, ..] ? firstOffset : "?");
            throw;
        }
    }

    /// <summary>The value of a <c>%Setting%</c> reference, or the text itself when it is none or the setting is unset.</summary>
    private string ResolveSetting(string reference)
    {
        if (reference.Length > 2 && reference[0] == '%' && reference[^1] == '%')
        {
            var name = reference[1..^1];
            var value = _configuration[name];
            return string.IsNullOrEmpty(value) ? name : value;
        }

        return reference;
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information,
        Message = "{Function}: batch {Stream} #{FirstSequence}..{LastSequence}: {Messages} messages, {Accepted} events accepted, {Rejected} rejected, {Alerts} alerts")]
    private partial void LogBatchProcessed(string function, string stream, long firstSequence, long lastSequence, int messages, int accepted, int rejected, int alerts);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Error,
        Message = "{Function}: batch {Stream} #{FirstSequence}..{LastSequence} (offset {FirstOffset}) failed; the host retries it")]
    private partial void LogBatchFailed(Exception exception, string function, string stream, long firstSequence, long lastSequence, string firstOffset);
}

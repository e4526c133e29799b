using AlertPipeline.Core.Ingest;
using AlertPipeline.Core.Ingest.Formats;
using AlertPipeline.Shipper.Send;

namespace AlertPipeline.Cli.DeadLetters;

/// <summary>What happened to one dead letter in a replay.</summary>
/// <param name="Id">The dead letter.</param>
/// <param name="Outcome"><c>sent</c>, <c>would-send</c> (dry run), <c>skipped</c> or <c>failed</c>.</param>
/// <param name="Detail">Where it went, or why not.</param>
internal sealed record ReplayOutcome(string Id, string Outcome, string Detail);

/// <summary>
/// Resubmits dead letters' full payloads to the Event Hub they came from (or <c>--hub</c>), so they run through the
/// pipeline again after a fix (a new format, a corrected sender). Each is sent alone under its original stream as
/// partition key, so one partition's letters keep their order, and then marked replayed; a letter already replayed is
/// skipped unless forced. A resubmitted payload is a new message: if it is still rejected, it is a new dead letter.
/// </summary>
internal sealed class DeadLetterReplayer(IDeadLetterStore store, Func<string, IEventSender> senderFor, TimeProvider time)
{
    private static readonly AzureFirewallFormat FirewallFormat = new();

    public async Task<IReadOnlyList<ReplayOutcome>> ReplayAsync(
        IReadOnlyList<DeadLetter> letters, string? hubOverride, bool force, bool dryRun, CancellationToken cancellationToken)
    {
        var outcomes = new List<ReplayOutcome>(letters.Count);
        foreach (var letter in letters)
        {
            outcomes.Add(await ReplayOneAsync(letter, hubOverride, force, dryRun, cancellationToken).ConfigureAwait(false));
        }

        return outcomes;
    }

    private async Task<ReplayOutcome> ReplayOneAsync(DeadLetter letter, string? hubOverride, bool force, bool dryRun, CancellationToken cancellationToken)
    {
        if (letter.ReplayCount > 0 && !force)
        {
            return new(letter.Id, "skipped", $"already replayed {letter.ReplayCount} time(s), last at {letter.ReplayedAt:O}; --force replays it again");
        }

        var hub = hubOverride ?? letter.Rejected.Hub;
        if (string.IsNullOrEmpty(hub))
        {
            return new(letter.Id, "skipped", "no Event Hub recorded (not received from a hub); give --hub");
        }

        var payload = await store.ReadPayloadAsync(letter.Id, cancellationToken).ConfigureAwait(false);
        if (payload is null)
        {
            return new(letter.Id, "failed", "the full payload was not kept (larger than a row and no blob storage configured)");
        }

        var body = BodyOf(letter, payload);
        if (dryRun)
        {
            return new(letter.Id, "would-send", $"{body.Length} bytes to {hub}");
        }

        var key = letter.Rejected.Position.Stream;
        SendResult result;
        try
        {
            result = await senderFor(hub).SendAsync(key, [new OutgoingEvent(key, body, "deadletter", 0)], cancellationToken).ConfigureAwait(false);
        }
        catch (ArgumentException e)
        {
            // The producer refuses the hub (a connection string whose EntityPath names another hub): say so, go on.
            return new(letter.Id, "failed", $"{hub}: {e.Message}");
        }

        if (result.Failure is { } failure)
        {
            return new(letter.Id, "failed", $"{hub}: {failure.Message}");
        }

        if (result.Sent != 1)
        {
            return new(letter.Id, "failed", $"{body.Length} bytes is larger than the hub's batch size limit");
        }

        await store.MarkReplayedAsync(letter.Id, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        return new(letter.Id, "sent", $"{body.Length} bytes to {hub}");
    }

    /// <summary>
    /// The message to send: the payload itself, except a single Azure Firewall record, which arrives inside a
    /// <c>{"records":[…]}</c> envelope and is only recognised in one, so it is wrapped again.
    /// </summary>
    internal static byte[] BodyOf(DeadLetter letter, byte[] payload)
    {
        if (letter.Rejected.Format != FirewallFormat.Name || FirewallFormat.CanParse(payload))
        {
            return payload;
        }

        return [.. "{\"records\":["u8, .. payload, .. "]}"u8];
    }
}

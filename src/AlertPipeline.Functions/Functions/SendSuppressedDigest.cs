using AlertPipeline.Core.Respond.Outbox;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Functions.Functions;

/// <summary>
/// Every ten minutes: one digest per channel of the alerts whose notifications the rate cap suppressed in the last
/// complete window (see <see cref="SuppressedDigest"/>). A redelivered or overlapping tick sends nothing twice.
/// </summary>
public sealed partial class SendSuppressedDigest(SuppressedDigest digest, ILogger<SendSuppressedDigest> logger)
{
    /// <summary>The schedule (NCRONTAB, seconds first): every ten minutes, matching <see cref="SuppressedDigest.Window"/>.</summary>
    public const string Schedule = "0 */10 * * * *";

    /// <summary>Runs one digest.</summary>
    [Function(nameof(SendSuppressedDigest))]
    public async Task RunAsync([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        var results = await digest.RunAsync(cancellationToken).ConfigureAwait(false);
        foreach (var result in results)
        {
            LogDigest(result.Channel, result.WindowStart, result.Alerts, result.Status?.ToString() ?? "already sent");
        }
    }

    [LoggerMessage(EventId = 5301, Level = LogLevel.Information, Message = "Suppressed digest {Channel} window {WindowStart}: {Alerts} alerts, {Status}")]
    private partial void LogDigest(string channel, DateTimeOffset windowStart, int alerts, string status);
}

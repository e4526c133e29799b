using AlertPipeline.Core.Respond.Escalation;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Functions.Functions;

/// <summary>
/// Every five minutes: re-notifies critical alerts still open after <c>Escalation__After</c> (see
/// <see cref="AlertEscalator"/>). The timer runs on one instance at a time; the escalator is idempotent anyway.
/// </summary>
public sealed partial class EscalateAlerts(AlertEscalator escalator, ILogger<EscalateAlerts> logger)
{
    /// <summary>The schedule (NCRONTAB, seconds first): every five minutes.</summary>
    public const string Schedule = "0 */5 * * * *";

    /// <summary>Runs one pass.</summary>
    [Function(nameof(EscalateAlerts))]
    public async Task RunAsync([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        var queued = await escalator.RunAsync(cancellationToken).ConfigureAwait(false);
        if (queued > 0)
        {
            LogEscalated(queued);
        }
    }

    [LoggerMessage(EventId = 5301, Level = LogLevel.Information, Message = "Escalation queued {Count} re-notifications")]
    private partial void LogEscalated(int count);
}

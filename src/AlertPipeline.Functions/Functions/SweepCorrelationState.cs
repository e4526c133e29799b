using AlertPipeline.Core.Pipeline;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Functions.Functions;

/// <summary>
/// Once a minute: judges correlation windows that closed while their groups went quiet (conditions with an upper
/// bound such as <c>lt</c>), and deletes correlation state past its expiry. The timer runs on one instance at a time.
/// </summary>
public sealed partial class SweepCorrelationState(TelemetryPipeline pipeline, ILogger<SweepCorrelationState> logger)
{
    /// <summary>The schedule (NCRONTAB, seconds first): every minute.</summary>
    public const string Schedule = "0 */1 * * * *";

    /// <summary>Runs one sweep.</summary>
    [Function(nameof(SweepCorrelationState))]
    public async Task RunAsync([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        var alerts = await pipeline.SweepCorrelationsAsync(cancellationToken).ConfigureAwait(false);
        if (alerts.Count > 0)
        {
            LogSwept(alerts.Count);
        }
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Correlation sweep raised or updated {Count} alerts")]
    private partial void LogSwept(int count);
}

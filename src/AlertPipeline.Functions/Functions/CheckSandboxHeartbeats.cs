using AlertPipeline.Core.Detect.Heartbeat;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Functions.Functions;

/// <summary>
/// Once a minute: raises <c>sandbox-monitor-silent</c> for sandboxes whose own telemetry stopped while the network
/// sensors still see their traffic (see <see cref="HeartbeatCheck"/>). The timer runs on one instance at a time, and
/// the alert id is fixed per silence episode, so repeated runs update one alert.
/// </summary>
public sealed partial class CheckSandboxHeartbeats(HeartbeatCheck check, ILogger<CheckSandboxHeartbeats> logger)
{
    /// <summary>The schedule (NCRONTAB, seconds first): every minute, offset from the correlation sweep.</summary>
    public const string Schedule = "30 */1 * * * *";

    /// <summary>Runs one check.</summary>
    [Function(nameof(CheckSandboxHeartbeats))]
    public async Task RunAsync([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        var alerts = await check.RunAsync(cancellationToken).ConfigureAwait(false);
        if (alerts.Count > 0)
        {
            LogSilentSandboxes(alerts.Count);
        }
    }

    [LoggerMessage(EventId = 5201, Level = LogLevel.Warning, Message = "Heartbeat check: {Count} sandboxes silent while their traffic continues")]
    private partial void LogSilentSandboxes(int count);
}

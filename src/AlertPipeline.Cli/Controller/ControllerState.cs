using System.Globalization;

namespace AlertPipeline.Cli.Controller;

/// <summary>
/// The controller's memory of nonces and command ids it has accepted, kept in a file so a restart cannot be used to
/// replay a command. One line per entry: <c>kind value expiresAtUnixMs</c>; entries past their command's expiry are
/// dropped on load (an expired command is refused anyway).
/// </summary>
internal sealed class ControllerState
{
    private readonly string _path;
    private readonly Dictionary<string, long> _seen = new(StringComparer.Ordinal);

    private ControllerState(string path) => _path = path;

    /// <summary>Loads <paramref name="path"/> (missing = empty), forgetting what expired before <paramref name="now"/>.</summary>
    public static ControllerState Load(string path, DateTimeOffset now)
    {
        var state = new ControllerState(path);
        if (File.Exists(path))
        {
            foreach (var line in File.ReadLines(path))
            {
                var parts = line.Split(' ');
                if (parts.Length == 3 && long.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var expires)
                    && expires > now.ToUnixTimeMilliseconds())
                {
                    state._seen[parts[0] + " " + parts[1]] = expires;
                }
            }
        }

        return state;
    }

    /// <summary>True if the nonce or the command id was accepted before.</summary>
    public bool HasSeen(string nonce, string commandId) => _seen.ContainsKey("nonce " + nonce) || _seen.ContainsKey("command " + commandId);

    /// <summary>Remembers both, durably, before the hook runs: a crash mid-hook must not let the command run twice.</summary>
    public void Remember(string nonce, string commandId, DateTimeOffset expiresAt)
    {
        var expires = expiresAt.ToUnixTimeMilliseconds();
        _seen["nonce " + nonce] = expires;
        _seen["command " + commandId] = expires;
        var e = expires.ToString(CultureInfo.InvariantCulture);
        File.AppendAllText(_path, $"nonce {nonce} {e}\ncommand {commandId} {e}\n");
    }
}

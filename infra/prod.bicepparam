// Production: about 4,000 events/s sustained, bursts to 12,000 with auto-inflate (docs/operations.md), private
// endpoints, every channel on. Secrets are created in the vault before the app starts (README "Deploy to Azure").
using 'main.bicep'

param namePrefix = 'alertpipe-prod'
param tags = {
  environment: 'prod'
  application: 'alertpipeline'
}

param partitionCount = 16
param throughputUnits = 4
param autoInflate = true
param maximumThroughputUnits = 12
param eventRetentionDays = 7

param instanceMemoryMB = 2048
param maximumInstanceCount = 40

param emailEnabled = true
param emailFrom = 'alertpipeline@example.com'
param emailTo = 'secops@example.com'
param teamsEnabled = true
param shutdownEnabled = true
param runbookBaseUrl = 'https://runbooks.example.com/alertpipeline'

// The firewall around the sandboxes; its logs stream into the firewall hub. Set to your firewall's resource id.
param firewallResourceId = ''

param privateNetworking = true
param healthAlerts = true
param healthAlertEmail = 'secops@example.com'
param deadLetterThreshold = 100
param logRetentionDays = 90

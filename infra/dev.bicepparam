// Development: the smallest sizes, public endpoints, notifications off until the secrets are in the vault.
using 'main.bicep'

param namePrefix = 'alertpipe-dev'
param tags = {
  environment: 'dev'
  application: 'alertpipeline'
}

param partitionCount = 2
param throughputUnits = 1
param autoInflate = false
param eventRetentionDays = 1

param instanceMemoryMB = 2048
param maximumInstanceCount = 4

param emailEnabled = false
param teamsEnabled = false
param shutdownEnabled = false

param privateNetworking = false
param healthAlerts = true
param healthAlertEmail = ''

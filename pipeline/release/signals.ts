// Rollback signals after a switch besides smoke checks: on AWS, the live slot's CloudWatch alarms.
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';

export interface SignalsPort {
  /** Names among `alarmNames` that are currently firing. */
  firing(alarmNames: string[]): Promise<string[]>;
}

/** Docker stacks have no alarms: smoke checks are the only signal. */
export const noSignals: SignalsPort = { firing: async () => [] };

export function cloudWatchSignals(region?: string): SignalsPort {
  const client = new CloudWatchClient(region ? { region } : {});
  return {
    async firing(alarmNames) {
      if (alarmNames.length === 0) return [];
      const res = await client.send(new DescribeAlarmsCommand({ AlarmNames: alarmNames, StateValue: 'ALARM' }));
      return (res.MetricAlarms ?? []).map((a) => a.AlarmName ?? '').filter(Boolean);
    },
  };
}

// Deleting what is past retention, a batch of each kind at a time (see domain/retention.ts).
import type { PrunedRows, RetentionRepository } from '../../domain/ports.ts';
import { SqlRepository } from '../sql.ts';

export class SqlRetention extends SqlRepository implements RetentionRepository {
  async pruneBefore(before: number, batch: number): Promise<PrunedRows> {
    const attempts = await this.db.run(
      `DELETE FROM delivery_attempts WHERE seq IN
         (SELECT seq FROM delivery_attempts WHERE created_at < $1 ORDER BY created_at LIMIT $2)`,
      [before, batch],
    );
    const jobs = await this.db.run(
      `DELETE FROM delivery_jobs WHERE id IN
         (SELECT j.id FROM delivery_jobs j JOIN events e ON e.id = j.event_id
          WHERE e.created_at < $1 AND j.state NOT IN ('pending', 'in_flight') LIMIT $2)`,
      [before, batch],
    );
    // An event a job still refers to waits for its delivery to finish; one a redelivery or recovery
    // is queuing right now (its row locked) waits for the next pass.
    const events = await this.db.run(
      `DELETE FROM events WHERE seq IN
         (SELECT e.seq FROM events e
          WHERE e.created_at < $1 AND NOT EXISTS (SELECT 1 FROM delivery_jobs j WHERE j.event_id = e.id)
          ORDER BY e.created_at LIMIT $2${this.db.dialect.lockRows('update', 'e', true)})`,
      [before, batch],
    );
    return { attempts, jobs, events };
  }
}

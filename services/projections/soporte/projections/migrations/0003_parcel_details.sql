-- A return label's and a courier claim's named values (carrier, tracking number, reference, claim number) in the
-- public thread, shown under their names; entries written before have none (a rebuild fills them).
ALTER TABLE projections.messages ADD COLUMN details jsonb NOT NULL DEFAULT '{}';

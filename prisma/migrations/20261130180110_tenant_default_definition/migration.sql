-- AlterTable
ALTER TABLE "tenant" ADD COLUMN     "default_definition_id" INTEGER;
